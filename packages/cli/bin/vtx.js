#!/usr/bin/env node
// The vtx command line, from the built package (`pnpm build`); in the repository use `pnpm vtx`.
import '../dist/bin.js';
