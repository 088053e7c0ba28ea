/** The browser export of a diffusion run (`vtx export`): safetensors weights + a model.json manifest. */
export * from './format.js';
export * from './export-run.js';
