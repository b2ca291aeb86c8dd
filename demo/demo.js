// The kconv demo page: everything runs client-side with the browser bundle (npm run build builds
// dist/browser/kconv.js). State is exposed as `window.kconvDemo` so the headless test can read
// the numbers it checks.
import * as kconv from '../dist/browser/kconv.js';

const $ = (id) => document.getElementById(id);
const SAMPLE = '../examples/conv1d-classifier/';

/**
 * What the page knows. `source` is the model file as loaded (its name, bytes and architecture),
 * kept so a change of backend reloads the same file. Everything below `model` belongs to one
 * model and is reset when another is loaded.
 */
const state = {
  status: 'idle',
  source: null,
  model: null,
  inputs: null, // the sample's input tensors, or those of the .npy picker at the last run
  expected: null, // the sample's expected output, or the picked expected .npy files
  lastInputs: null,
  lastOutputs: null,
  lastCompare: null,
  lastConversion: null,
  loads: 0, // how many loads were started (a test sees a re-pick of the same file reload it)
};
window.kconvDemo = state;

function showError(el, e) {
  el.textContent = e && e.code ? `${e.code}: ${e.message}` : String(e && e.message ? e.message : e);
}

async function readFile(file) {
  return new Uint8Array(await file.arrayBuffer());
}

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`cannot fetch ${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/** Forgets everything that belonged to the previous model: outputs, charts and picked files. */
function resetForNewModel() {
  Object.assign(state, { model: null, inputs: null, expected: null, lastInputs: null, lastOutputs: null, lastCharts: null, lastCompare: null, lastConversion: null });
  for (const id of ['load-error', 'warnings', 'run-error', 'run-note', 'inputs-note', 'compare', 'charts', 'convert-status', 'convert-error']) $(id).textContent = '';
  $('npy-files').value = '';
  $('expected-files').value = '';
  $('summary').hidden = true;
  $('output-values').hidden = true;
  $('status').textContent = 'No run yet.';
  setRunnable(false);
}

function setRunnable(canRun) {
  $('run-random').disabled = $('run-npy').disabled = !canRun;
  $('convert').disabled = !state.model;
}

/** Loads `source` ({name, bytes, architecture}) with the backend the selector names. */
async function loadModel(source) {
  resetForNewModel();
  state.loads += 1;
  state.source = source;
  state.status = 'loading';
  try {
    const options = { filename: source.name };
    if (source.architecture) options.architecture = source.architecture;
    if ($('backend').value) options.backend = $('backend').value;
    state.model = await kconv.load(source.bytes, options);
    const report = state.model.inspect();
    $('summary').textContent = state.model.summary();
    $('summary').hidden = false;
    const notes = [];
    if (report.assumedBackend && !$('backend').value) {
      notes.push(`This file does not record its backend (Keras 1): TensorFlow was assumed. If it was trained with Theano, choose Theano above: its convolution kernels are flipped and every output differs.`);
    }
    $('warnings').textContent = notes.join('\n');
    if (!report.runnable) {
      $('run-note').textContent = `This model cannot run in kconv: ${report.unsupported.map((u) => `${u.layer} (${u.className})`).join(', ')}. Its summary and weights are readable, and it can still be converted.`;
    }
    setRunnable(report.runnable);
    state.status = 'loaded';
  } catch (e) {
    state.model = null;
    state.status = 'error';
    showError($('load-error'), e);
  }
}

/** A model file picked or dropped: the architecture picked for it goes with it, and only with it. */
async function pickModel(file) {
  const arch = $('arch-file').files[0];
  $('arch-file').value = '';
  const source = { name: file.name, bytes: await readFile(file), architecture: arch ? await readFile(arch) : undefined };
  await loadModel(source);
}

async function loadSample() {
  try {
    const [bytes, input, expected] = await Promise.all(['model.h5', 'input.npy', 'expected.npy'].map((f) => fetchBytes(SAMPLE + f)));
    $('arch-file').value = '';
    await loadModel({ name: 'model.h5', bytes });
    if (!state.model) return;
    state.inputs = [kconv.readNpy(input, 'input.npy')];
    state.expected = [kconv.readNpy(expected, 'expected.npy')];
    $('inputs-note').textContent = "Sample input and Keras's output for it are loaded: “Run on these inputs” compares with Keras.";
  } catch (e) {
    state.status = 'error';
    showError($('load-error'), e);
  }
}

async function npyFiles(input) {
  return Promise.all([...input.files].map(async (f) => kconv.readNpy(await readFile(f), f.name)));
}

const COLORS = ['#3a6fd8', '#d8553a', '#2f9e44', '#a13ad8', '#d8a23a', '#1098ad', '#e64980', '#5c7cfa', '#74b816', '#868e96'];

function chartFrame(name, t, caption) {
  const wrap = document.createElement('div');
  const title = document.createElement('div');
  title.innerHTML = `<b></b> shape (${t.shape.join(', ')}) <span class="sub"></span>`;
  title.querySelector('b').textContent = name;
  title.querySelector('span').textContent = caption;
  const canvas = document.createElement('canvas');
  canvas.width = 900;
  canvas.height = 260;
  const legend = document.createElement('div');
  legend.className = 'legend';
  wrap.append(title, canvas, legend);
  $('charts').append(wrap);
  return { canvas, legend, ctx: canvas.getContext('2d') };
}

function valueRange(data) {
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return min === max ? [min - 1, max + 1] : [min, max];
}

/** [batch, classes]: one bar per class for the first batch item, the top class named. */
function drawBars(name, t) {
  const classes = t.shape[1];
  const data = kconv.toFloat32(t).subarray(0, classes);
  let top = 0;
  for (let c = 1; c < classes; c++) if (data[c] > data[top]) top = c;
  const batch = t.shape[0];
  const { canvas, legend, ctx } = chartFrame(name, t, `bars per class, batch item 0${batch > 1 ? ` of ${batch}` : ''}`);
  const [lo, hi] = valueRange(data);
  const min = Math.min(0, lo);
  const max = Math.max(0, hi);
  const left = 60;
  const right = canvas.width - 10;
  const top_ = 10;
  const bottom = canvas.height - 25;
  const y = (v) => bottom - ((v - min) / (max - min)) * (bottom - top_);
  ctx.font = '11px sans-serif';
  ctx.fillStyle = '#5a6375';
  ctx.fillText(max.toPrecision(3), 4, top_ + 8);
  ctx.fillText(min.toPrecision(3), 4, bottom);
  const slot = (right - left) / classes;
  const shownLabels = Math.max(1, Math.ceil(classes / 40));
  for (let c = 0; c < classes; c++) {
    const x0 = left + c * slot + slot * 0.15;
    ctx.fillStyle = c === top ? '#d8553a' : '#3a6fd8';
    ctx.fillRect(x0, Math.min(y(data[c]), y(0)), Math.max(1, slot * 0.7), Math.abs(y(data[c]) - y(0)));
    if (c % shownLabels === 0) {
      ctx.fillStyle = '#5a6375';
      ctx.fillText(String(c), x0, bottom + 15);
    }
  }
  ctx.strokeStyle = '#c9d0db';
  ctx.beginPath();
  ctx.moveTo(left, y(0));
  ctx.lineTo(right, y(0));
  ctx.stroke();
  legend.innerHTML = `<span class="top-class">top class: ${top} (${data[top].toPrecision(4)})</span>`;
  return { kind: 'bars', topClass: top };
}

/** [batch, steps, channels]: one line per channel over the steps of the first batch item. */
function drawLines(name, t) {
  const all = kconv.toFloat32(t);
  const rank = t.shape.length;
  const channels = t.shape[rank - 1];
  const per = t.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = all.subarray(0, per);
  const steps = per / channels;
  const { canvas, legend, ctx } = chartFrame(name, t, 'one line per channel, batch item 0');
  const [min, max] = valueRange(data);
  const left = 60;
  const right = canvas.width - 10;
  const top = 10;
  const bottom = canvas.height - 25;
  const x = (s) => left + (steps === 1 ? 0.5 : s / (steps - 1)) * (right - left);
  const y = (v) => bottom - ((v - min) / (max - min)) * (bottom - top);
  ctx.strokeStyle = '#c9d0db';
  ctx.fillStyle = '#5a6375';
  ctx.font = '11px sans-serif';
  ctx.beginPath();
  ctx.moveTo(left, top);
  ctx.lineTo(left, bottom);
  ctx.lineTo(right, bottom);
  ctx.stroke();
  ctx.fillText(max.toPrecision(3), 4, top + 8);
  ctx.fillText(min.toPrecision(3), 4, bottom);
  ctx.fillText('0', left, bottom + 15);
  ctx.fillText(String(steps - 1), right - 20, bottom + 15);
  ctx.fillText('step', (left + right) / 2 - 10, bottom + 15);
  const shown = Math.min(channels, 32);
  for (let c = 0; c < shown; c++) {
    ctx.strokeStyle = COLORS[c % COLORS.length];
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    for (let s = 0; s < steps; s++) {
      const v = data[s * channels + c];
      if (s === 0) ctx.moveTo(x(s), y(v));
      else ctx.lineTo(x(s), y(v));
    }
    ctx.stroke();
    if (c < 10) legend.insertAdjacentHTML('beforeend', `<span><i style="background:${COLORS[c % COLORS.length]}"></i>channel ${c}</span>`);
  }
  if (channels > 10) legend.insertAdjacentHTML('beforeend', `<span>… ${channels} channels${channels > shown ? ` (first ${shown} drawn)` : ''}</span>`);
  return { kind: 'lines' };
}

/** Bars for per-class outputs ([batch, classes]); lines for outputs with a steps axis. */
function drawChart(name, t) {
  if (t.shape.length === 2) return drawBars(name, t);
  if (t.shape.length >= 3) return drawLines(name, t);
  return drawBars(name, { ...t, shape: [1, t.shape[0] ?? 1] });
}

function compareOutputs(outputs) {
  if (!state.expected) return null;
  if (state.expected.length !== outputs.length) {
    return [{ name: '', pass: false, text: `${state.expected.length} expected file(s) for ${outputs.length} model output(s)` }];
  }
  return outputs.map((t, i) => {
    const e = state.expected[i];
    const name = state.model.outputNames[i];
    if (e.shape.join() !== t.shape.join()) return { name, pass: false, text: `${name}: shape (${t.shape.join(', ')}) but expected (${e.shape.join(', ')})` };
    const c = kconv.compareArrays(kconv.toFloat32(t), kconv.toFloat32(e), kconv.TOLERANCES.close);
    const numbers = `max abs error ${c.maxAbsError.toExponential(2)}, max rel error ${c.maxRelError.toExponential(2)}, tolerance 'close'`;
    return { name, pass: c.pass, text: `${name}: ${c.pass ? 'MATCH' : 'MISMATCH'} (${numbers})${c.message ? `: ${c.message}` : ''}` };
  });
}

async function run(getInputs) {
  $('run-error').textContent = '';
  $('charts').textContent = '';
  $('compare').textContent = '';
  $('output-values').hidden = true;
  state.status = 'running';
  $('status').textContent = 'Running…';
  try {
    const inputs = await getInputs();
    if ($('expected-files').files.length) state.expected = await npyFiles($('expected-files'));
    const started = performance.now();
    const outputs = await state.model.predict(inputs);
    const ms = performance.now() - started;
    state.lastInputs = inputs.map((t) => ({ shape: t.shape, dtype: t.dtype, data: Array.from(kconv.toFloat32(t)) }));
    state.lastOutputs = outputs.map((t) => ({ shape: t.shape, dtype: t.dtype, data: Array.from(t.data) }));
    $('status').textContent = `Ran in ${ms.toFixed(1)} ms on input shape(s) ${inputs.map((t) => `(${t.shape.join(', ')}) ${t.dtype}`).join(', ')}.`;
    state.lastCharts = outputs.map((t, i) => drawChart(state.model.outputNames[i] ?? `output ${i}`, t));
    state.lastCompare = compareOutputs(outputs);
    for (const c of state.lastCompare ?? []) {
      const line = document.createElement('div');
      line.className = c.pass ? 'ok' : 'error';
      line.textContent = c.text;
      $('compare').append(line);
    }
    $('output-values').textContent = outputs
      .map((t, i) => `${state.model.outputNames[i]}: [${Array.from(t.data.subarray(0, 8), (v) => v.toPrecision(5)).join(', ')}${t.data.length > 8 ? ', …' : ''}]`)
      .join('\n');
    $('output-values').hidden = false;
    state.status = 'done';
  } catch (e) {
    state.status = 'error';
    $('status').textContent = 'Run failed.';
    showError($('run-error'), e);
  }
}

async function convert() {
  $('convert-error').textContent = '';
  $('convert-status').textContent = '';
  const format = $('convert-format').value;
  try {
    const { bytes, warnings, target, loadsIn } = await kconv.saveWithWarnings(state.model, { format });
    const base = (state.source?.name ?? 'model').replace(/(\.weights)?\.(h5|hdf5|keras|kir)$/i, '');
    const name = `${base}${kconv.extensionFor(format)}`;
    const files = [{ name, bytes }];
    // Weights alone cannot be loaded: their architecture (model.to_json() of that Keras) goes with them.
    if (format === 'keras-v3-weights') files.push({ name: `${base}.json`, bytes: new TextEncoder().encode(JSON.stringify(state.model.toJSON({ targetVersion: target }))) });
    $('convert-status').textContent = `Wrote ${files.map((f) => `${f.name} (${f.bytes.length} bytes)`).join(' and ')}${loadsIn ? `, which loads in ${loadsIn}` : ''}${warnings.length ? `; ${warnings.join('; ')}` : ''}. `;
    for (const f of files) {
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([f.bytes], { type: 'application/octet-stream' }));
      a.download = f.name;
      a.textContent = `download ${f.name} again `;
      $('convert-status').append(a);
      a.click();
    }
    state.lastConversion = { name, bytes: bytes.length, warnings, loadsIn, files: files.map((f) => f.name) };
  } catch (e) {
    state.lastConversion = { error: e.code ?? 'error' };
    showError($('convert-error'), e);
  }
}

$('model-file').addEventListener('change', async (ev) => {
  const f = ev.target.files[0];
  // Cleared so that picking the same file again is a change too, and reloads it.
  ev.target.value = '';
  if (f) await pickModel(f);
});
$('arch-file').addEventListener('change', () => {
  // An architecture picked after its weights-only file failed to load: retry that file with it.
  if (state.source && !state.model && $('arch-file').files[0]) {
    const { name, bytes } = state.source;
    const arch = $('arch-file').files[0];
    $('arch-file').value = '';
    readFile(arch).then((architecture) => loadModel({ name, bytes, architecture }));
  }
});
$('backend').addEventListener('change', () => {
  if (state.source) loadModel(state.source);
});
const drop = $('drop');
drop.addEventListener('dragover', (ev) => {
  ev.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (ev) => {
  ev.preventDefault();
  drop.classList.remove('over');
  const f = ev.dataTransfer.files[0];
  if (f) pickModel(f);
});
$('npy-files').addEventListener('change', () => {
  const n = $('npy-files').files.length;
  $('inputs-note').textContent = n ? `${n} input file(s) chosen.` : '';
});
$('load-sample').addEventListener('click', loadSample);
$('run-random').addEventListener('click', () =>
  run(async () => kconv.randomInputs(state.model, { length: Math.max(1, Math.floor(Number($('steps').value)) || 128) })),
);
$('run-npy').addEventListener('click', () =>
  run(async () => {
    // Files picked now win over the sample's; they are read at the click, never from a stale pick.
    if ($('npy-files').files.length) state.inputs = await npyFiles($('npy-files'));
    if (!state.inputs) throw new Error('choose one .npy file per model input first (or load the sample model)');
    return state.inputs;
  }),
);
$('convert').addEventListener('click', convert);
state.status = 'ready';
