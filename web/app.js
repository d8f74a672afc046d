// The nanochat web page: placeholder until the page lands.
"use strict";
