/**
 * Register every tfjs gradient and the chained tensor methods — the Node variant. tfjs-core's Node entry (a CJS
 * bundle) has neither and its deep ESM files cannot load in Node, but the union package's CJS bundle inlines both.
 */
import '@tensorflow/tfjs';
