/**
 * A custom layer: LayerScale (Touvron et al. 2021, CaiT §2.1) — a learned per-channel scale on a residual branch,
 *
 *   y[..., c] = γ[c] · x[..., c],   γ initialised to `init` (1e-5 … 0.1 in CaiT), shape (C,)
 *
 * Subclass `tfl.layers.Layer`, declare weights in `build`, compute in `call`, describe constructor arguments in
 * `getConfig`, and register the class so models that contain it survive `model.toJSON()` / `tfl.loadLayersModel`.
 *
 *   node --conditions=@vtx/source --import tsx examples/custom-layer/layer-scale.ts
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export interface LayerScaleArgs {
  /** Initial value of every γ[c]. */
  init?: number;
  name?: string;
}

export class LayerScale extends tfl.layers.Layer {
  /** The name the serialization registry knows the class by (must be unique across registered classes). */
  static className = 'ExampleLayerScale';
  readonly init: number;
  private gamma!: tfl.LayerVariable;

  constructor(args: LayerScaleArgs = {}) {
    super(args);
    this.init = args.init ?? 1e-4;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const channels = shape.at(-1);
    if (channels === null || channels === undefined)
      throw new Error(`LayerScale: the last axis must be known, got shape [${shape.join(', ')}]`);
    this.gamma = this.addWeight(
      'gamma',
      [channels],
      'float32',
      tfl.initializers.constant({ value: this.init }),
    );
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.mul(x, this.gamma.read()); // (..., C) * (C,) broadcasts over the leading axes
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), init: this.init };
  }
}
tf.serialization.registerClass(LayerScale);

/** A small model that uses the layer: x (B, N, C) -> x + LayerScale(Dense(x)). */
export function residualModel(tokens: number, channels: number): tfl.LayersModel {
  const x = tfl.input({ shape: [tokens, channels] });
  const branch = tfl.layers.dense({ units: channels, name: 'branch' }).apply(x) as tfl.SymbolicTensor;
  const scaled = new LayerScale({ init: 0.1, name: 'ls' }).apply(branch) as tfl.SymbolicTensor;
  const y = tfl.layers.add().apply([x, scaled]) as tfl.SymbolicTensor;
  return tfl.model({ inputs: x, outputs: y });
}

/** Save a model to memory and load it back: the registered class is rebuilt from its config, weights restored. */
export async function roundTrip(model: tfl.LayersModel): Promise<tfl.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      saved = artifacts;
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
    }),
  );
  return tfl.loadLayersModel(tf.io.fromMemory(saved!));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await import('@tensorflow/tfjs-backend-cpu');
  const model = residualModel(4, 8);
  const back = await roundTrip(model);
  const x = tf.randomNormal([2, 4, 8], 0, 1, 'float32', 1);
  const diff = tf
    .max(tf.abs(tf.sub(model.predict(x) as tf.Tensor, back.predict(x) as tf.Tensor)))
    .dataSync()[0];
  console.log(
    `layers: ${back.layers.map((l) => l.getClassName()).join(', ')}; max |y - y_reloaded| = ${diff}`,
  );
}
