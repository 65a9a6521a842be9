package dev.weir.cli;

import dev.weir.core.artifacts.CatalogTable;
import dev.weir.core.artifacts.CatalogWriter;
import dev.weir.core.engine.ColumnInfo;
import dev.weir.core.engine.Relation;
import dev.weir.core.engine.Session;
import dev.weir.core.execute.Runner;
import dev.weir.core.execute.Workspace;
import dev.weir.core.project.Node;
import dev.weir.core.project.ResourceType;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "docs", mixinStandardHelpOptions = true, description = "Documentation artifacts.",
    subcommands = DocsCommand.Generate.class)
final class DocsCommand implements Runnable {
  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  @Command(name = "generate", mixinStandardHelpOptions = true,
      description = "Compiles the project and writes target/catalog.json from the warehouse's relations and columns.")
  static final class Generate extends WeirCommand {
    @Option(names = "--no-compile", description = "Skip compiling models.")
    boolean noCompile;

    @Override String commandName() { return "docs generate"; }

    @Override
    int execute(Workspace ws) {
      ws.loaded();
      if (!noCompile) {
        Runner r = new Runner(ws, true);
        List<String> ids = ws.select(java.util.Set.of(ResourceType.MODEL, ResourceType.ANALYSIS));
        r.withWarehouse(wh -> {
          for (String id : ids) {
            Node n = ws.project().node(id);
            try {
              r.compiler().compile(n, wh);
            } catch (RuntimeException e) {
              console.warn("Could not compile " + n.name + ": " + e.getMessage());
            }
          }
          return null;
        });
      }
      writeManifest(ws);
      List<CatalogTable> nodes = new ArrayList<>();
      List<CatalogTable> sources = new ArrayList<>();
      try (Session s = ws.engine(true).openSession()) {
        List<Node> all = new ArrayList<>(ws.project().nodes().values());
        all.addAll(ws.project().sources().values());
        for (Node n : all) {
          if (n.resourceType != ResourceType.MODEL && n.resourceType != ResourceType.SEED && n.resourceType != ResourceType.SOURCE
              && n.resourceType != ResourceType.SNAPSHOT) continue;
          if (n.isEphemeral()) continue;
          String id = n.resourceType == ResourceType.SOURCE ? n.identifier : n.alias;
          Optional<Relation> rel = s.getRelation(n.database, n.schema, id);
          if (rel.isEmpty()) continue;
          List<ColumnInfo> cols = s.getColumns(rel.get());
          CatalogTable t = new CatalogTable(n.uniqueId, rel.get(), cols);
          if (n.resourceType == ResourceType.SOURCE) sources.add(t);
          else nodes.add(t);
        }
      }
      List<CatalogTable> all = new ArrayList<>(nodes);
      all.addAll(sources);
      new CatalogWriter(masker()).write(all, List.of(), ws.invocationId(), java.time.Instant.now(),
          ws.targetDir().resolve(CatalogWriter.FILE_NAME));
      console.info("Catalog written to " + ws.projectDir().relativize(ws.targetDir().resolve(CatalogWriter.FILE_NAME))
          + " (" + nodes.size() + " nodes, " + sources.size() + " sources)");
      return 0;
    }
  }
}
