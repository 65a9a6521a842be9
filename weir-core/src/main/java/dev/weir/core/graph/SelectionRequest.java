package dev.weir.core.graph;

import java.nio.file.Path;
import java.util.List;

/**
 * What a command asks to select: dbt's {@code --select}, {@code --exclude}, {@code --selector},
 * {@code --indirect-selection}, with the project's selectors.yml and root (for {@code path:}).
 *
 * <p>Precedence is dbt's: a {@code selector} name wins over select/exclude; with neither, the
 * caller passes the name of {@link Selectors#defaultSelector()} if there is one (or use
 * {@link #withDefaultSelector()}); with nothing at all, every node is selected and the caller
 * keeps the resource types its command runs.
 */
public record SelectionRequest(List<String> select, List<String> exclude, String selector,
                               Selectors selectors, IndirectSelection indirectSelection, Path projectRoot) {
  public SelectionRequest {
    select = select == null ? List.of() : List.copyOf(select);
    exclude = exclude == null ? List.of() : List.copyOf(exclude);
    selectors = selectors == null ? Selectors.empty() : selectors;
    indirectSelection = indirectSelection == null ? IndirectSelection.EAGER : indirectSelection;
  }

  /** Nothing selected explicitly: all nodes, eager, no selectors. */
  public static SelectionRequest all() { return new SelectionRequest(null, null, null, null, null, null); }

  public static SelectionRequest select(String... select) {
    return new SelectionRequest(List.of(select), null, null, null, null, null);
  }

  public SelectionRequest withSelect(List<String> s) {
    return new SelectionRequest(s, exclude, selector, selectors, indirectSelection, projectRoot);
  }

  public SelectionRequest withExclude(List<String> e) {
    return new SelectionRequest(select, e, selector, selectors, indirectSelection, projectRoot);
  }

  public SelectionRequest withExclude(String... e) { return withExclude(List.of(e)); }

  public SelectionRequest withSelector(String name) {
    return new SelectionRequest(select, exclude, name, selectors, indirectSelection, projectRoot);
  }

  public SelectionRequest withSelectors(Selectors s) {
    return new SelectionRequest(select, exclude, selector, s, indirectSelection, projectRoot);
  }

  public SelectionRequest withIndirectSelection(IndirectSelection mode) {
    return new SelectionRequest(select, exclude, selector, selectors, mode, projectRoot);
  }

  public SelectionRequest withProjectRoot(Path root) {
    return new SelectionRequest(select, exclude, selector, selectors, indirectSelection, root);
  }

  /** If neither select, exclude nor a selector is given, uses the selectors.yml default, if any. */
  public SelectionRequest withDefaultSelector() {
    if (selector != null || !select.isEmpty() || !exclude.isEmpty()) return this;
    return selectors.defaultSelector().map(this::withSelector).orElse(this);
  }
}
