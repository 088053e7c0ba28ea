/** The attribute classifier: the captioner (attributes -> caption template) and the judge of sample quality. */
export * from './config.js';
export * from './attribute-classifier.js';
export * from './family.js';
