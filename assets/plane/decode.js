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
// Returns the header and {name: {shape, data}}: Float32Array for float16/float32 arrays, the
// matching typed array for uint8/int16. A "deflate" array is not read here (see inflate).
function unpack(buffer, kind) {
  const view = new DataView(buffer);
  const n = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, n)));
  if (header.format !== FORMAT || header.kind !== kind) {
    throw new Error(`not a ${kind} payload (${header.format}, ${header.kind})`);
  }
  const arrays = {};
  for (const entry of header.arrays) {
    const { name, shape, offset } = entry;
    const size = shape.reduce((a, b) => a * b, 1);
    const dtype = entry.dtype || header.dtype;
    let data;
    // views into the buffer, no copies: every array starts 8-aligned (payload.py), and the typed
    // arrays read little-endian, as every browser this runs on is
    if (entry.encoding === "deflate") {
      data = new Uint8Array(buffer, offset, entry.nbytes); // inflated by inflate()
    } else if (dtype === "float32") {
      data = new Float32Array(buffer, offset, size);
    } else if (dtype === "float16") {
      data = new Float32Array(size);
      for (let i = 0; i < size; i++) data[i] = halfToFloat(view.getUint16(offset + 2 * i, true));
    } else if (dtype === "uint8") {
      data = new Uint8Array(buffer, offset, size);
    } else if (dtype === "int16") {
      data = new Int16Array(buffer, offset, size);
    } else {
      throw new Error(`unknown dtype ${dtype}`);
    }
    arrays[name] = { shape, size, dtype, data, encoding: entry.encoding, shuffle: entry.shuffle };
  }
  return { header, arrays };
}

const WIDTH = { float32: 4, int16: 2, uint8: 1 };

// Inflate every "deflate" array in place (the browser's own DecompressionStream), undo its byte
// shuffle, and view it as its dtype. `inflated` (a Map) keeps arrays by the digest the header
// gives them ("<name>_id" in meta): the rungs of one dataset share their training images,
// inflated once.
async function inflate(header, arrays, inflated = new Map()) {
  for (const [name, a] of Object.entries(arrays)) {
    if (a.encoding !== "deflate") continue;
    const id = header.meta && header.meta[`${name}_id`];
    if (id && inflated.has(id)) { a.data = inflated.get(id); continue; }
    const stream = new Blob([a.data]).stream().pipeThrough(new DecompressionStream("deflate"));
    let bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    const width = WIDTH[a.dtype];
    if (!width || bytes.length !== a.size * width) throw new Error(`${name}: ${bytes.length} bytes inflated`);
    if (a.shuffle) bytes = unshuffle(bytes, a.shuffle);
    a.data = a.dtype === "float32" ? new Float32Array(bytes.buffer, bytes.byteOffset, a.size)
      : a.dtype === "int16" ? new Int16Array(bytes.buffer, bytes.byteOffset, a.size) : bytes;
    if (id) inflated.set(id, a.data);
  }
}

// payload.py's shuffle undone: `width` planes (every value's byte 0, then byte 1, ...) back to
// whole values.
function unshuffle(planes, width) {
  const n = planes.length / width, out = new Uint8Array(planes.length);
  for (let b = 0; b < width; b++) {
    for (let i = 0, from = b * n, to = b; i < n; i++, to += width) out[to] = planes[from + i];
  }
  return out;
}

function layersOf(arrays) {
  const layers = [];
  for (let i = 0; `W${i}` in arrays; i++) {
    const [nOut, nIn] = arrays[`W${i}`].shape;
    layers.push({ W: arrays[`W${i}`].data, b: arrays[`b${i}`].data, nIn, nOut });
  }
  return layers;
}

// A plane payload (vae_geom.payload.plane_payload) -> {meta, layers, train: {n, mu, sigma,
// images}, shown: {n, mu, sigma, labels}}. Async: deflated arrays are inflated (see inflate).
// images is a Uint8Array (n × D, grey levels 0-255) or null.
export async function parsePlane(buffer, inflated = new Map()) {
  const { header, arrays } = unpack(buffer, "plane");
  await inflate(header, arrays, inflated);
  const meta = header.meta || {};
  const images = arrays.train_images ? arrays.train_images.data : null;
  return {
    meta,
    layers: layersOf(arrays),
    train: { n: arrays.train_mu.shape[0], mu: arrays.train_mu.data, sigma: arrays.train_sigma.data, images },
    shown: { n: arrays.mu.shape[0], mu: arrays.mu.data, sigma: arrays.sigma.data, labels: arrays.labels.data },
    // a replay (Train your own): the drawn posteriors after each of `epochs`, frame-major
    frames: arrays.frames_mu
      ? { epochs: arrays.frame_epochs.data, mu: arrays.frames_mu.data, sigma: arrays.frames_sigma.data }
      : null,
  };
}

// Decoder payload -> [{W, b, nIn, nOut}], the Linear layers in order (W: nOut × nIn, row-major).
export async function parsePayload(buffer) {
  const { header, arrays } = unpack(buffer, "decoder");
  await inflate(header, arrays);
  return layersOf(arrays);
}

// Posteriors payload -> {n, mu, sigma}, mu and sigma interleaved (z1, z2, z1, z2, ...).
export async function parsePosteriors(buffer) {
  const { header, arrays } = unpack(buffer, "posteriors");
  await inflate(header, arrays);
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

// How many posteriors' k-sigma ellipses contain z (vae_geom.geometry.covered_by(...).sum()).
export function coveredBy(z, mu, sigma, k) {
  let count = 0;
  for (let i = 0; i < mu.length / 2; i++) {
    const s1 = sigma[2 * i], s2 = sigma[2 * i + 1];
    if (!(s1 > 0 && s2 > 0)) continue;
    const t1 = (z[0] - mu[2 * i]) / s1, t2 = (z[1] - mu[2 * i + 1]) / s2;
    if (t1 * t1 + t2 * t2 <= k * k) count++;
  }
  return count;
}

// sum_i r_i x_i over the posteriors with r_i > 1e-12 (vae_geom.probe._blend), images as uint8
// grey levels (n × D): returns a Float32Array of D values in [0, 1].
export function blend(r, images, D, out) {
  out = out || new Float32Array(D);
  out.fill(0);
  for (let i = 0; i < r.length; i++) {
    const w = r[i] / 255;
    if (!(r[i] > 1e-12)) continue;
    for (let j = 0, row = i * D; j < D; j++) out[j] += w * images[row + j];
  }
  return out;
}

// The k training codes nearest to z, nearest first, with their distances (probe.nearest_codes).
export function nearest(z, mu, k) {
  const negd = new Float64Array(mu.length / 2);
  for (let i = 0; i < negd.length; i++) negd[i] = -Math.hypot(mu[2 * i] - z[0], mu[2 * i + 1] - z[1]);
  const idx = topK(negd, k);
  return { idx, dist: idx.map((i) => -negd[i]) };
}
