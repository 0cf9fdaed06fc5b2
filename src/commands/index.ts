import type { CommandDef } from './types.js';
import { serveStdio } from './serve-stdio.js';
import { serveSse } from './serve-sse.js';
import { loginCheck } from './login-check.js';
import { demoApi } from './demo-api.js';

export const COMMANDS: CommandDef[] = [serveStdio, serveSse, loginCheck, demoApi];
