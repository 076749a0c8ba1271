/**
 * Turns off onnxruntime-node's telemetry for this process; call it before the first session is
 * created, on the main thread (a worker thread's `process.env` is a copy that the native library
 * never sees, while the main thread's writes reach the real environment every thread reads).
 *
 * On Linux, ONNX Runtime 1.30 starts Microsoft's 1DS telemetry when its environment is created:
 * it reads /etc/machine-id and /proc/self/cmdline, keeps a device id and an event database under
 * ~/.cache/Microsoft/DeveloperTools and writes /tmp/mat-debug-<pid>.log. A command line holds the
 * file names an operator classified, which may name patients, so none of it is for a screening
 * service to send. It also parses the command line with a recursive std::regex, about 280 bytes
 * of stack per byte: `classify` with ~200 paths (14.6 KB of arguments) overflowed the 4 MB stack
 * of the engine's worker thread and died with SIGSEGV, and about 30 KB would overflow even the
 * main thread's 8 MB.
 */
export function disableOrtTelemetry(): void {
  process.env['ORT_DISABLE_TELEMETRY'] = '1';
}
