export { CorruptLogFileError, DuckDbEngine, type DuckDbEngineOptions } from './engine';
export { type Discovery, discoverLogFiles, type LogFile, type LogFormat, type LogLayout } from './files';
export { cidrContains, installTrinoShims } from './trino';
