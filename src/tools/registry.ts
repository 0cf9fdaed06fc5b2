import type { ResourceName } from '../catalog/resources.js';
import { catalogTools, type ToolDef } from './definitions.js';
import { queryTool } from './query.js';

/** Every tool: the catalog's 41 and the SQL query tool. */
export const allTools = (): ToolDef[] => [...catalogTools(), queryTool()];

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
    const toolset = t.toolset ?? t.resource;
    if (filter.toolsets?.length && toolset && !filter.toolsets.includes(toolset as ResourceName)) return false;
    return true;
  });
}
