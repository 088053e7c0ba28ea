/**
 * @vtx/data: Apache Arrow video datasets (format v1), builders (synthetic bouncing shapes at one or several
 * sizes, Moving MNIST, video files through ffmpeg, frame folders), a streaming loader with worker threads,
 * and inspection.
 * Node only; no tfjs: batches are plain typed arrays the trainer turns into tensors.
 */
export { DataError } from './errors.js';
export { Rng } from './rng.js';
export * from './format/schema.js';
export { DatasetWriter, type DatasetWriterOptions } from './format/writer.js';
export { openDataset, readRows, ShardReader, ClipBatch, sha256File, type Dataset } from './format/reader.js';
export type { BuildOptions } from './builders/common.js';
export {
  SHAPE_ATTRIBUTES,
  MOTION_CLASSES,
  COLOUR_RGB,
  descriptiveCaption,
  terseCaption,
  type ShapeAttributes,
  type ShapeAttributeName,
} from './synthetic/attributes.js';
export {
  AttributePattern,
  SyntheticSpec,
  buildSynthetic,
  syntheticAttributes,
  syntheticClip,
  shapesClip,
  type ShapesDraw,
  type SyntheticSpecInput,
} from './builders/synthetic.js';
export {
  ClipSizes,
  NativeShapesSpec,
  buildNativeShapes,
  nativeShapesClip,
  nativeShapesSize,
  type ClipSize,
  type NativeShapesSpecInput,
} from './builders/native-shapes.js';
export {
  MovingMnistSpec,
  buildMovingMnist,
  movingMnistClip,
  movingMnistLabels,
  type MovingMnistSpecInput,
} from './builders/moving-mnist.js';
export {
  OcclusionSpec,
  OCCLUDER_RGB,
  buildOcclusion,
  occlusionClip,
  occlusionLayout,
  type OcclusionLayout,
  type OcclusionSpecInput,
  type Visibility,
} from './builders/occlusion.js';
export {
  DataConfig,
  TransformConfig,
  CropConfig,
  NormalizeConfig,
  BucketConfig,
  BuiltinDataset,
  defaultCacheDir,
  type BuiltinDatasetInput,
  type DataConfigInput,
} from './config.js';
export { builtinDir, resolveDataset } from './resolve.js';
export { DataLoader, LoaderState, createLoader } from './loader/loader.js';
export { checkAttributes, labelRemap } from './loader/labels.js';
export type { Batch } from './loader/producer.js';
export { layout, planEpoch, type Layout, type PlannedBatch, type Segment } from './loader/plan.js';
export {
  applyClip,
  cropBox,
  normalization,
  sampleClip,
  temporalIndices,
  type Box,
  type ClipSample,
  type Target,
} from './loader/transforms.js';
export { VideoSpec, buildFromVideos, VIDEO_EXTENSIONS, type VideoSpecInput } from './builders/videos.js';
export { listInputs, parseCsvLine, type InputItem } from './builders/inputs.js';
export { FramesSpec, buildFromFrames, type FramesSpecInput } from './builders/frames.js';
export { decodeImage, resizeImage, IMAGE_EXTENSIONS, type RgbImage } from './builders/image.js';
export {
  readImageClip,
  readInputClip,
  readVideoClip,
  type InputClip,
  type InputClipOptions,
} from './input-clip.js';
export { inspectDataset, formatSummary, type DatasetSummary, type InspectOptions } from './inspect.js';
export { readPromptClip, type PromptClip, type PromptClipOptions } from './prompt-clip.js';
