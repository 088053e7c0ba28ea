/**
 * @vtx/eval — evaluation of runs: judges (a classification or attribute run read as a scorer), sample quality of a
 * diffusion run (`sampleScoring` for train() with `eval.judge`, `scoreRun` for finished runs), the Fréchet
 * distance, closed-form motion and framing readers of bouncing shapes, prompt expansion and recaptioning, and the
 * attribute-classifier run a judge is trained by.
 */
export {
  AttributeRunConfig,
  loadAttributeClassifier,
  trainAttributeClassifier,
  type AttributeClassifier,
  type AttributeRunConfigInput,
} from './attribute-run.js';
export { captionFromAttributes, templateFor } from './caption-template.js';
export { clipFraming, framingRate, type ClipFraming, type FramingOptions } from './framing.js';
export { frechetDistance, gaussianStats, type GaussianStats } from './frechet.js';
export {
  CLASS_HEAD,
  inspectJudge,
  judgeClips,
  judgeFrechet,
  loadJudge,
  realFeatures,
  referenceRows,
  type Judge,
  type JudgeHead,
  type JudgeInfo,
  type JudgeOutput,
} from './judge.js';
export { measureFrameModes, type FrameModeScore, type FrameModesOptions } from './frame-modes.js';
export { clipMotion, motionScore, type ClipMotion, type MotionOptions, type MotionScore } from './motion.js';
export {
  connects,
  continuesSubject,
  frameSubject,
  keepsMotion,
  motionClass,
  nearestColour,
  type ClipData,
  type ContinuationOptions,
  type FrameSubject,
} from './continuation.js';
export { expandPrompt, type ExpandedPrompt } from './prompt-expansion.js';
export { recaptionDataset, type RecaptionOptions } from './recaption.js';
export {
  SampleQuality,
  checkJudgeConfig,
  generateSamples,
  sampleScoring,
  scoreSamples,
  type GenerateOptions,
  type SampleScore,
} from './sample-quality.js';
export { scoreRun, type RunScore, type ScoreOptions } from './score-run.js';
