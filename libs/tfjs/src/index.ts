export { directoryLoader, directorySaver } from './directory-io';
export { initWasmBackend } from './backend';
