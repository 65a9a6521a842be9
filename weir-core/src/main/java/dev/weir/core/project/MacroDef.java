package dev.weir.core.project;

import java.util.List;

/** A macro as declared in a project or package (or Weir's built-ins, package "dbt"). */
public record MacroDef(String uniqueId, String name, String packageName, String path, String originalFilePath,
                       String macroSql, List<String> arguments, List<String> dependsOnMacros, String description,
                       int line) {
}
