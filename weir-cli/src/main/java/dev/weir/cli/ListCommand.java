package dev.weir.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weir.core.WeirException;
import dev.weir.core.execute.Workspace;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true, description = "Lists the selected nodes.")
final class ListCommand extends WeirCommand {
  @Mixin
  Common.Selection sel;

  @Option(names = "--resource-type", arity = "1..*", description = "Only these kinds: model, seed, test, source, analysis, snapshot, exposure, ingestion.")
  List<String> resourceTypes;

  @Option(names = {"-o", "--output"}, description = "selector (default), name, path or json.", defaultValue = "selector")
  String output;

  @Option(names = "--output-keys", arity = "1..*", description = "Keys to print with --output json.")
  List<String> outputKeys;

  @Override String commandName() { return "ls"; }

  @Override Common.Selection selection() { return sel; }

  @Override
  int execute(Workspace ws) throws Exception {
    Set<ResourceType> types = EnumSet.of(ResourceType.MODEL, ResourceType.SEED, ResourceType.TEST, ResourceType.SOURCE,
        ResourceType.SNAPSHOT, ResourceType.ANALYSIS, ResourceType.EXPOSURE, ResourceType.INGESTION,
        ResourceType.EXPORT);
    if (resourceTypes != null && !resourceTypes.isEmpty()) {
      types = EnumSet.noneOf(ResourceType.class);
      for (String t : resourceTypes) {
        ResourceType rt = ResourceType.fromDbtName(t.equals("data_test") ? "test" : t);
        if (rt == null) throw WeirException.usage("Unknown resource type '" + t + "'");
        types.add(rt);
      }
    }
    ObjectMapper json = new ObjectMapper();
    for (String id : ws.select(types)) {
      Node n = ws.project().node(id);
      switch (output) {
        case "name" -> console.print(n.name);
        case "path" -> console.print(n.originalFilePath);
        case "json" -> {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("name", n.name);
          m.put("resource_type", n.resourceType.dbtName());
          m.put("package_name", n.packageName);
          m.put("original_file_path", n.originalFilePath);
          m.put("unique_id", n.uniqueId);
          m.put("alias", n.alias);
          m.put("config", n.config);
          m.put("tags", n.tags);
          m.put("depends_on", Map.of("nodes", n.dependsOnNodes));
          if (outputKeys != null && !outputKeys.isEmpty()) m.keySet().retainAll(outputKeys);
          console.print(json.writeValueAsString(m));
        }
        default -> console.print((n.resourceType == ResourceType.SOURCE ? "source:" : n.resourceType == ResourceType.EXPOSURE
            ? "exposure:" : n.resourceType == ResourceType.INGESTION ? "ingestion:"
            : n.resourceType == ResourceType.EXPORT ? "export:" : "") + String.join(".", n.fqn));
      }
    }
    return 0;
  }
}
