/** Pooling of the encoder's last_hidden_state [batch, seq, hidden] into one vector a text. Pure. */

export function pool(
  hidden: Float32Array,
  batch: number,
  seq: number,
  dim: number,
  mask: Uint8Array,
  pooling: 'cls' | 'mean',
  normalize: boolean,
): Float32Array[] {
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const v = new Float32Array(dim);
    if (pooling === 'cls') {
      v.set(hidden.subarray(b * seq * dim, b * seq * dim + dim));
    } else {
      let n = 0;
      for (let t = 0; t < seq; t++) {
        if (!mask[b * seq + t]) continue;
        n++;
        const off = (b * seq + t) * dim;
        for (let d = 0; d < dim; d++) v[d] += hidden[off + d];
      }
      const inv = 1 / Math.max(n, 1e-9);
      for (let d = 0; d < dim; d++) v[d] *= inv;
    }
    if (normalize) {
      let ss = 0;
      for (let d = 0; d < dim; d++) ss += v[d] * v[d];
      const inv = 1 / Math.max(Math.sqrt(ss), 1e-12);
      for (let d = 0; d < dim; d++) v[d] *= inv;
    }
    out.push(v);
  }
  return out;
}
