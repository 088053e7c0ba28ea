/**
 * @vtx/eval — evaluation of runs: judges (a classification or attribute run read as a scorer), sample quality of a
 * diffusion run (`sampleScoring` for train() with `eval.judge`, `scoreRun` for finished runs), the Fréchet
 * distance, closed-form readers of samples (motion and framing of bouncing shapes, permanence and consistency of
 * occlusion clips), prompt expansion and recaptioning. A judge is an ordinary run (`vtx train`): an attribute
 * classifier (`model.kind: attribute-classifier`) or a classifier.
 */
export { captionFromAttributes, templateFor } from './caption-template.js';
export { CLOSED_FORM_KINDS, closedFormMetrics } from './closed-form.js';
export {
  clipCoherence,
  coherenceScore,
  type ClipCoherence,
  type CoherenceOptions,
  type CoherenceScore,
} from './coherence.js';
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
export { floorData, frechetFloor, frechetRatio, type FrechetFloor } from './frechet-floor.js';
export { scoreRun, type RunScore, type ScoreOptions } from './score-run.js';
