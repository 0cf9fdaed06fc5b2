import type { ResourceName } from '../catalog/resources.js';
import { allTools, type ToolDef } from './definitions.js';

export interface ToolFilter {
  readOnly?: boolean;
  toolsets?: string[];
}

/**
 * The one place that decides which tools exist for a server: handlers never ask "am I allowed";
 * a tool filtered out here is simply not listed and cannot be called.
 */
export function selectTools(filter: ToolFilter = {}, tools: ToolDef[] = allTools()): ToolDef[] {
  return tools.filter((t) => {
    if (filter.readOnly && !t.annotations.readOnlyHint) return false;
    if (filter.toolsets?.length && t.resource && !filter.toolsets.includes(t.resource as ResourceName)) return false;
    return true;
  });
}
