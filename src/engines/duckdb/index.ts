export { DuckDbEngine, type DuckDbEngineOptions } from './engine';
export { type Discovery, discoverLogFiles, type LogFile, type LogFormat, type LogLayout } from './files';
export { CorruptLogFileError } from './job';
export { cidrContains, installTrinoShims } from './trino';
