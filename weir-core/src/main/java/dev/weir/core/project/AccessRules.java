package dev.weir.core.project;

import dev.weir.core.WeirException;
import dev.weir.core.util.Suggest;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * dbt's model access rules, enforced at parse time: {@code access} is private, protected (the
 * default) or public; a private model may be ref'd only by nodes of its own group; a protected
 * model only from its own package, unless that package does not set {@code restrict-access: true}.
 */
final class AccessRules {
  private static final Set<String> LEVELS = Set.of("private", "protected", "public");

  private AccessRules() {}

  /** Every {@code group} names a declared group; every {@code access} is a known level; a private model has a group. */
  static void checkGroups(Collection<Node> nodes, Map<String, Map<String, Object>> groups) {
    for (Node n : nodes) {
      Object access = n.config.get("access");
      if (access != null && n.resourceType == ResourceType.MODEL && !LEVELS.contains(String.valueOf(access))) {
        throw WeirException.project(where(n), line(n), "model '" + n.uniqueId + "' has access '" + access
            + "'; it must be one of private, protected, public");
      }
      Object group = n.config.get("group");
      if (group != null && !groups.containsKey(String.valueOf(group))) {
        throw WeirException.project(where(n), line(n), n.resourceType.dbtName() + " '" + n.uniqueId + "' belongs to group '" + group
            + "', which is not declared (declare it under 'groups:' in a properties file)."
            + (groups.isEmpty() ? "" : " Declared groups: " + String.join(", ", new TreeSet<>(groups.keySet())) + "."
            + Suggest.didYouMean(String.valueOf(group), groups.keySet())));
      }
      if ("private".equals(String.valueOf(access)) && n.resourceType == ResourceType.MODEL && group == null) {
        throw WeirException.project(where(n), line(n), "model '" + n.uniqueId + "' is private but belongs to no group: "
            + "set 'group:' (only models of its group may ref it)");
      }
    }
  }

  /** Fails when {@code from} may not ref {@code target}. */
  static void checkRef(Node from, Node target, Set<String> restrictedPackages) {
    if (target.resourceType != ResourceType.MODEL) return;
    // A generic test of the model itself is part of it (dbt gives such tests the model's group).
    if (from.resourceType == ResourceType.TEST && target.uniqueId.equals(from.attachedNode)) return;
    String access = String.valueOf(target.config.getOrDefault("access", "protected"));
    Object targetGroup = target.config.get("group");
    Object fromGroup = from.config.get("group");
    boolean restricted = restrictedPackages.contains(target.packageName) && !target.packageName.equals(from.packageName);
    if (access.equals("private") && (fromGroup == null || !fromGroup.equals(targetGroup) || restricted)) {
      throw WeirException.project(where(from), line(from, target.name), from.resourceType.dbtName() + " '" + from.uniqueId + "' ("
          + where(from) + (fromGroup == null ? ", no group" : ", group '" + fromGroup + "'") + ") refs private model '"
          + target.uniqueId + "' (" + where(target) + ", group '" + targetGroup + "'), which only nodes of group '"
          + targetGroup + "' may ref");
    }
    if (access.equals("protected") && restricted) {
      throw WeirException.project(where(from), line(from, target.name), from.resourceType.dbtName() + " '" + from.uniqueId + "' ("
          + where(from) + ") refs protected model '" + target.uniqueId + "' (" + where(target) + ") of package '"
          + target.packageName + "', which restricts access: only its own nodes may ref it (make the model public)");
    }
  }

  private static String where(Node n) {
    return n.originalFilePath != null ? n.originalFilePath : n.patchPath == null ? "" : n.patchPath.replaceFirst("^[^:]+://", "");
  }

  private static int line(Node n) {
    return n.extra.get("yaml_line") instanceof Integer l ? l : 0;
  }

  private static int line(Node n, String refName) {
    int l = ProjectLoader.lineOf(n.rawCode, refName);
    return l > 0 ? l : line(n);
  }
}
