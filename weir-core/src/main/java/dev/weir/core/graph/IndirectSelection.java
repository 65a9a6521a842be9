package dev.weir.core.graph;

import dev.weir.core.WeirException;
import dev.weir.core.util.Suggest;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * dbt's {@code --indirect-selection}: which tests are added because the nodes they test are selected.
 * <ul>
 *   <li>EAGER (default): a test is added if ANY of its parents is selected;
 *   <li>CAUTIOUS: only if ALL of its parents are selected;
 *   <li>BUILDABLE: if each of its parents is selected or an ancestor of a selected node (or a source);
 *   <li>EMPTY: no test is added indirectly.
 * </ul>
 * Tests selected directly are always kept. Exclusion is always eager (see {@link Selector}).
 */
public enum IndirectSelection {
  EAGER, CAUTIOUS, BUILDABLE, EMPTY;

  public String dbtName() { return name().toLowerCase(Locale.ROOT); }

  /** Parses dbt's spelling (case-insensitive); a USAGE error names the valid values. */
  public static IndirectSelection parse(String s) {
    if (s == null) return EAGER;
    for (IndirectSelection m : values()) if (m.dbtName().equalsIgnoreCase(s.trim())) return m;
    List<String> names = Arrays.stream(values()).map(IndirectSelection::dbtName).toList();
    throw WeirException.usage("Invalid indirect selection mode '" + s + "': expected one of "
        + String.join(", ", names) + "." + Suggest.didYouMean(s, names));
  }
}
