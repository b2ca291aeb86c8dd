/** Node's worker threads as a ThreadPool spawner (Node only: imports node:worker_threads). */
import { Worker } from 'node:worker_threads';
import type { SpawnWorker } from './pool.js';

/** Runs the worker body as an eval'd CommonJS script over its workerData. */
export const spawnNodeWorker: SpawnWorker = (main, data) => {
  const w = new Worker(`(${main.toString()})(require('node:worker_threads').workerData)`, { eval: true, workerData: data });
  w.unref(); // an idle pool never keeps the process alive
  return w;
};
