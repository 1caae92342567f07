/**
 * Side-effect import: applies nativeEnv.ts's defaults to this process. Import it first in every entry point and
 * before `@lancedb/lancedb` or `onnxruntime-node` (esbuild keeps import order, so its code runs before theirs load).
 */
import { applyNativeEnvDefaults } from './nativeEnv';

applyNativeEnvDefaults(process.env);
