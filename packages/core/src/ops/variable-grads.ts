/**
 * `tf.variableGrads` with a backward pass that frees memory as it goes. tfjs's own backward pass
 * (`backpropagateGradients` in tfjs-core's tape.ts) keeps every op's saved tensors and every intermediate
 * gradient alive until the whole backward pass ends, so a training step peaks at "all saved activations + a
 * gradient for every intermediate tensor": on ViT-Ti/4 (batch 32) about 445 MB saved and as much again in
 * gradients. This walks the same tape in the same order and computes the same gradients with the same ops, but
 * disposes an op's saved tensors and the gradients of its outputs as soon as that op's gradient has run (what
 * PyTorch's autograd does), so the peak is the saved activations plus a few layers' gradients.
 *
 * It uses the tfjs engine's tape (`startTape`, `state.activeTape`, tape nodes' `gradient`/`saved`), which is not
 * public API: the interface below names what it reads. Inside another gradient computation (higher-order
 * gradients: the tape is shared and saved tensors must outlive this pass) it defers to `tf.variableGrads`.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A node of the engine's gradient tape (tfjs-core tape.ts `TapeNode`). */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: tf.Tensor[]) => Record<string, () => tf.Tensor>;
}

/** The parts of tfjs's Engine this reads (tfjs-core engine.ts). */
interface EngineTape {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
}

/**
 * The tape's nodes on a path from `xs` to `y`, their inputs pruned to those that depend on `xs`
 * (tfjs-core tape.ts `getFilteredNodesXToY`, which tfjs does not export).
 */
export function nodesFromXsToY(
  tape: readonly TapeNode[],
  xs: readonly tf.Tensor[],
  y: tf.Tensor,
): TapeNode[] {
  const fromX = new Set<number>(xs.map((x) => x.id));
  const nodesFromX = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((t) => fromX.has(t.id))) {
      for (const o of node.outputs) fromX.add(o.id);
      nodesFromX.add(node.id);
    }
  }
  const toY = new Set<number>([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (!node.outputs.some((o) => toY.has(o.id))) continue;
    for (const t of Object.values(node.inputs)) toY.add(t.id);
    nodesToY.add(node.id);
  }
  return tape
    .filter((n) => nodesFromX.has(n.id) && nodesToY.has(n.id))
    .map((n) => ({
      ...n,
      inputs: Object.fromEntries(Object.entries(n.inputs).filter(([, t]) => fromX.has(t.id))),
    }));
}

/** Gradients by tensor id; a tensor object may be the gradient of several ids (counted before disposal). */
class GradientMap {
  private readonly byId = new Map<number, tf.Tensor>();
  private readonly uses = new Map<tf.Tensor, number>();

  get(id: number): tf.Tensor | undefined {
    return this.byId.get(id);
  }

  set(id: number, g: tf.Tensor): void {
    this.uses.set(g, (this.uses.get(g) ?? 0) + 1); // before dropping the old one: it may be `g` itself
    this.drop(id);
    this.byId.set(id, g);
  }

  /** Whether `g` is the gradient of some id. */
  holds(g: tf.Tensor): boolean {
    return this.uses.has(g);
  }

  /** Forget the gradient of `id`; dispose it when no other id holds the same tensor. */
  drop(id: number): void {
    const g = this.byId.get(id);
    if (!g) return;
    this.byId.delete(id);
    const n = this.uses.get(g)! - 1;
    if (n > 0) this.uses.set(g, n);
    else {
      this.uses.delete(g);
      g.dispose();
    }
  }
}

/** Walk the filtered tape backward from dL/dy, freeing each node's saved tensors and output gradients after it. */
function backprop(tape: readonly TapeNode[], grads: GradientMap): void {
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (!node.gradient)
      throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    // an output off the path to y gets a zero gradient (as tfjs does), owned and freed here
    const zeros: tf.Tensor[] = [];
    const dys = node.outputs.map((o) => {
      const g = grads.get(o.id);
      if (g) return g;
      const z = tf.zeros(o.shape, o.dtype);
      zeros.push(z);
      return z;
    });
    const inputGradients = node.gradient(dys);
    for (const [name, x] of Object.entries(node.inputs)) {
      const grad = inputGradients[name];
      if (!grad)
        throw new Error(
          `Cannot backprop through input ${name} of ${node.kernelName}. ` +
            `Available gradients found: ${Object.keys(inputGradients).join(', ')}.`,
        );
      const dx = tf.tidy(grad);
      if (dx.dtype !== 'float32')
        throw new Error(
          `Error in gradient for op ${node.kernelName}: the gradient of input ${name} has dtype ${dx.dtype}, not float32`,
        );
      if (!tf.util.arraysEqual(dx.shape, x.shape))
        throw new Error(
          `Error in gradient for op ${node.kernelName}: the gradient of input '${name}' has shape ` +
            `[${dx.shape}], the input [${x.shape}]`,
        );
      const cur = grads.get(x.id);
      if (!cur) grads.set(x.id, dx);
      else {
        grads.set(x.id, tf.add(cur, dx)); // releases `cur`
        if (!grads.holds(dx)) dx.dispose();
      }
    }
    // this node's gradient has run: nothing reads its saved tensors or its outputs' gradients again
    for (const o of node.outputs) grads.drop(o.id);
    tf.dispose(zeros);
    for (const t of node.saved ?? []) t.dispose();
  }
}

/**
 * dL/dv for each trainable variable v in `vars` (default: all trainable variables), keyed by variable name, and
 * L = f(): the contract of `tf.variableGrads`, with each op's saved tensors and gradients freed as soon as the
 * backward pass has used them.
 */
export function variableGrads(
  f: () => tf.Scalar,
  vars?: tf.Variable[],
): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const engine = tf.engine() as unknown as EngineTape;
  if (engine.state.gradientDepth > 0) return tf.variableGrads(f, vars);
  const all = vars ?? Object.values(tf.engine().registeredVariables);
  const xs = all.filter((v) => v.trainable);
  if (!xs.length)
    throw new Error(`variableGrads: none of the ${all.length} variables is trainable (at least one must be)`);
  const y = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => engine.tidy('forward', f),
  );
  if (!(y instanceof tf.Tensor) || y.rank !== 0)
    throw new Error(
      `variableGrads: f must return a scalar tensor, got ${y instanceof tf.Tensor ? `rank ${y.rank}` : typeof y}`,
    );
  const tape = engine.state.activeTape ?? [];
  return engine.tidy('backward', () => {
    const grads = new GradientMap();
    grads.set(y.id, tf.ones(y.shape)); // as tfjs seeds it: a tensor, not a kernel
    try {
      backprop(nodesFromXsToY(tape, xs, y), grads);
    } finally {
      for (const node of tape) for (const t of node.saved ?? []) t.dispose();
      engine.state.activeTape = null;
    }
    const named: tf.NamedTensorMap = {};
    for (const x of xs) {
      const g = grads.get(x.id);
      if (g) named[x.name] = g;
    }
    if (!Object.keys(named).length)
      throw new Error(
        'variableGrads: no variable is connected to the loss: the ops that use the variables must run inside f',
      );
    for (const v of all) if (!v.trainable) named[v.name] = null as unknown as tf.Tensor;
    return { value: y, grads: named };
  });
}
