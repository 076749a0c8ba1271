export { ModelRegistry, VersionExistsError, type ModelRegistryOptions } from './model-registry';
export { openModelRegistry, type RegistryLocation } from './open';
export { SiteCalibrationRecords } from './site-calibration-records';
export { ChannelWatcher, type ChannelSnapshot, type ChannelWatcherOptions } from './channel-watcher';
export { canaryPosition, liveCanary, versionForStudy, type ServingChannels } from './routing';
export { readBaseManifest } from './version-files';
