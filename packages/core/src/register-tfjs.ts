/**
 * Register every tfjs gradient and the chained tensor methods (x.reshape(…)) — the browser / bundler variant:
 * tfjs-core's own ESM modules, so a page does not pull in the whole @tensorflow/tfjs union package. Node uses
 * ./register-tfjs-node.ts (package.json "imports": "#register-tfjs").
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops.js';
