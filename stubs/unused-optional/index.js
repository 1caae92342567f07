'use strict';
// Placeholder: @lancedb/lancedb lists @huggingface/transformers and openai as optional dependencies for its
// embedding-function registry. DR.EHR computes embeddings itself, so these are never loaded.
throw new Error('This optional dependency is intentionally not installed by DR.EHR (see stubs/README.md).');
