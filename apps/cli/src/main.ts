import './decode-threads';
import { flushed, processIo } from './program/io';
import { runCli } from './program/program';

// The exit waits for stdout and stderr to drain: leaving earlier cuts piped output off at the
// pipe's buffer. It does not wait for the loop to empty, since ONNX Runtime's and TF.js's thread
// pools keep a one-shot command alive after its work is done.
void runCli(process.argv.slice(2), processIo()).then(async (code) => {
  process.exitCode = code;
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
});
