package dev.weir.core.project;

import java.util.List;
import java.util.Map;

/** dbt_project.yml's settings, with dbt's defaults applied. */
public record ProjectSettings(String name, String version, String profile, int configVersion,
                              List<String> modelPaths, List<String> seedPaths, List<String> testPaths,
                              List<String> macroPaths, List<String> analysisPaths, List<String> snapshotPaths,
                              List<String> docsPaths, String targetPath, List<String> cleanTargets,
                              String packagesInstallPath, Map<String, Object> vars,
                              Map<String, Object> models, Map<String, Object> seeds, Map<String, Object> tests,
                              Map<String, Object> sources, Map<String, Object> snapshots,
                              List<String> onRunStart, List<String> onRunEnd,
                              Map<String, Object> quoting, Object requireDbtVersion,
                              List<Map<String, Object>> dispatch, Map<String, Object> raw) {
}
