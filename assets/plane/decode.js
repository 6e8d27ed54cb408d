// The latent plane's maths in the browser (issue 14): read the payloads vae_geom/payload.py packs,
// decode z as torch does (vae_geom.models), and weigh the posteriors that claim z as
// vae_geom.geometry.responsibilities does. No dependencies; tests/test_browser_parity.py checks
// every function here against torch and numpy in headless Chromium.

const FORMAT = "vae-geom-payload/1";

// float16 bits -> number: sign, 5 exponent bits (bias 15), 10 mantissa bits.
function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // subnormal (and ±0): frac / 2^10 * 2^-14
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

// The container: uint32 header length, JSON header, then arrays at their byte offsets.
// Returns the header and {name: {shape, data: Float32Array}}.
function unpack(buffer, kind) {
  const view = new DataView(buffer);
  const n = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, n)));
  if (header.format !== FORMAT || header.kind !== kind) {
    throw new Error(`not a ${kind} payload (${header.format}, ${header.kind})`);
  }
  const arrays = {};
  for (const { name, shape, offset } of header.arrays) {
    const size = shape.reduce((a, b) => a * b, 1);
    let data;
    if (header.dtype === "float32") {
      data = new Float32Array(buffer.slice(offset, offset + 4 * size)); // a copy: little-endian
    } else if (header.dtype === "float16") {
      data = new Float32Array(size);
      for (let i = 0; i < size; i++) data[i] = halfToFloat(view.getUint16(offset + 2 * i, true));
    } else {
      throw new Error(`unknown dtype ${header.dtype}`);
    }
    arrays[name] = { shape, data };
  }
  return { header, arrays };
}

// Decoder payload -> [{W, b, nIn, nOut}], the Linear layers in order (W: nOut × nIn, row-major).
export function parsePayload(buffer) {
  const { arrays } = unpack(buffer, "decoder");
  const layers = [];
  for (let i = 0; `W${i}` in arrays; i++) {
    const [nOut, nIn] = arrays[`W${i}`].shape;
    layers.push({ W: arrays[`W${i}`].data, b: arrays[`b${i}`].data, nIn, nOut });
  }
  return layers;
}

// Posteriors payload -> {n, mu, sigma}, mu and sigma interleaved (z1, z2, z1, z2, ...).
export function parsePosteriors(buffer) {
  const { arrays } = unpack(buffer, "posteriors");
  return { n: arrays.mu.shape[0], mu: arrays.mu.data, sigma: arrays.sigma.data };
}

// decode(z) = sigmoid(L_k(relu(... relu(L_1(z))))), L_i(x) = W_i x + b_i: models.mlp's
// Linear -> ReLU -> ... -> Linear, then decode_images' sigmoid. Writes pixel probabilities into
// `out` (a Float32Array of the last layer's size, made if not given) and returns it.
export function decode(layers, z1, z2, out) {
  // one scratch vector per layer, made on the first call and kept with the layers
  const scratch = layers.scratch || (layers.scratch = layers.map((l) => new Float64Array(l.nOut)));
  let x = scratch.input || (scratch.input = new Float64Array(2));
  x[0] = z1;
  x[1] = z2;
  for (let l = 0; l < layers.length; l++) {
    const { W, b, nIn, nOut } = layers[l];
    const y = scratch[l];
    const relu = l < layers.length - 1; // ReLU between layers, none after the last
    for (let o = 0, row = 0; o < nOut; o++, row += nIn) {
      let s = b[o];
      for (let i = 0; i < nIn; i++) s += W[row + i] * x[i];
      y[o] = relu && s < 0 ? 0 : s;
    }
    x = y;
  }
  out = out || new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = 1 / (1 + Math.exp(-x[i]));
  return out;
}

// log N(z; mu_i, diag sigma_i^2) for each posterior i; -Infinity for a point (a sigma of 0).
export function logDensities(z, mu, sigma) {
  const n = mu.length / 2;
  const out = new Float64Array(n);
  const halfLog2Pi = 0.5 * Math.log(2 * Math.PI);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let d = 0; d < 2; d++) {
      const sd = sigma[2 * i + d];
      if (!(sd > 0)) {
        s = -Infinity;
        break;
      }
      const t = (z[d] - mu[2 * i + d]) / sd;
      s += -0.5 * t * t - Math.log(sd) - halfLog2Pi;
    }
    out[i] = s;
  }
  return out;
}

// Responsibilities r_i = N_i(z) / sum_j N_j(z), by log-sum-exp (subtract the largest log density
// first, so far from every code nothing underflows to 0/0). All zeros if no posterior has a
// density at z (an AE's points).
export function responsibilities(z, mu, sigma) {
  const r = logDensities(z, mu, sigma);
  let max = -Infinity;
  for (const v of r) if (v > max) max = v;
  if (max === -Infinity) return r.fill(0);
  let sum = 0;
  for (let i = 0; i < r.length; i++) sum += r[i] = Math.exp(r[i] - max);
  for (let i = 0; i < r.length; i++) r[i] /= sum;
  return r;
}

// The indices of the k largest values, largest first (ties: the lower index first).
export function topK(values, k) {
  const top = []; // sorted, at most k long
  if (k <= 0) return top;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (top.length === k && v <= values[top[k - 1]]) continue;
    let j = Math.min(top.length, k - 1);
    while (j > 0 && values[top[j - 1]] < v) j--;
    top.splice(j, 0, i);
    if (top.length > k) top.pop();
  }
  return top;
}
