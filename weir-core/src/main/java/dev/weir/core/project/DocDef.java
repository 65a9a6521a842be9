package dev.weir.core.project;

/** A {@code {% docs name %}} block. */
public record DocDef(String uniqueId, String name, String packageName, String path, String originalFilePath,
                     String blockContents) {
}
