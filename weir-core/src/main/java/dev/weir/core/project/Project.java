package dev.weir.core.project;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything a project declares, loaded and resolved: nodes (enabled ones), disabled nodes,
 * macros, docs, selectors, vars and project-level settings. Immutable once the loader returns it.
 *
 * @param root            the project directory
 * @param name            dbt_project.yml's name (also the root package name)
 * @param nodes           enabled nodes by unique id (models, seeds, tests, snapshots, analyses, exposures)
 * @param sources         source tables by unique id
 * @param disabled        disabled nodes by unique id
 * @param macros          macros by unique id, including the built-in "dbt" package
 * @param docs            docs blocks by unique id
 * @param selectors       selectors.yml content (raw), or empty
 * @param settings        dbt_project.yml as loaded (paths, vars, on-run-start, ...)
 * @param groups          groups declared under 'groups:' (root project and packages), by name: name,
 *                        package, owner (map), description, file, line
 */
public record Project(Path root, String name, String version, String profileName, ProjectSettings settings,
                      Map<String, Node> nodes, Map<String, Node> sources, Map<String, Node> disabled,
                      Map<String, MacroDef> macros, Map<String, DocDef> docs, Map<String, Object> selectors,
                      List<String> warnings, Map<String, Map<String, Object>> groups) {

  public Project(Path root, String name, String version, String profileName, ProjectSettings settings,
                 Map<String, Node> nodes, Map<String, Node> sources, Map<String, Node> disabled,
                 Map<String, MacroDef> macros, Map<String, DocDef> docs, Map<String, Object> selectors,
                 List<String> warnings) {
    this(root, name, version, profileName, settings, nodes, sources, disabled, macros, docs, selectors, warnings, Map.of());
  }

  public Node node(String uniqueId) {
    Node n = nodes.get(uniqueId);
    return n != null ? n : sources.get(uniqueId);
  }
}
