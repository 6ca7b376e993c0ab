// The frames Worker's file (dist/lipsync-frames-worker.js, a classic Worker): extraction of the
// model video's frames (demuxer, WebCodecs, JPEG, the cache writer) and decoding of base frames.
import { demuxMp4 } from '../core/mp4.js';
import { decodeFrame, extractFrames, frameCacheWriter, workerMain } from './frames-worker.js';

workerMain(extractFrames, demuxMp4, frameCacheWriter, decodeFrame);
