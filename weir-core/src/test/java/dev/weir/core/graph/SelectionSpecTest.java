package dev.weir.core.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weir.core.WeirException;
import dev.weir.core.graph.SelectionSpec.Criteria;
import dev.weir.core.graph.SelectionSpec.Intersection;
import dev.weir.core.graph.SelectionSpec.Union;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelectionSpecTest {

  @Test void bareValue() {
    Criteria c = SelectionSpec.parseCriteria("my_model");
    assertThat(c.method()).isNull();
    assertThat(c.value()).isEqualTo("my_model");
    assertThat(c.parents() || c.children() || c.childrensParents()).isFalse();
  }

  @Test void methodArgumentsAndDepths() {
    Criteria c = SelectionSpec.parseCriteria("2+config.meta.owner:alice+3");
    assertThat(c.method()).isEqualTo("config");
    assertThat(c.arguments()).containsExactly("meta", "owner");
    assertThat(c.fullMethod()).isEqualTo("config.meta.owner");
    assertThat(c.value()).isEqualTo("alice");
    assertThat(c.parents()).isTrue();
    assertThat(c.parentsDepth()).isEqualTo(2);
    assertThat(c.children()).isTrue();
    assertThat(c.childrenDepth()).isEqualTo(3);
  }

  @Test void unlimitedOperatorsAndAt() {
    Criteria c = SelectionSpec.parseCriteria("+tag:nightly+");
    assertThat(c.parentsDepth()).isEqualTo(-1);
    assertThat(c.childrenDepth()).isEqualTo(-1);
    Criteria at = SelectionSpec.parseCriteria("@path:models/staging");
    assertThat(at.childrensParents()).isTrue();
    assertThat(at.method()).isEqualTo("path");
    assertThat(at.value()).isEqualTo("models/staging");
    Criteria src = SelectionSpec.parseCriteria("source:pkg.src.table+");
    assertThat(src.value()).isEqualTo("pkg.src.table");
    assertThat(src.children()).isTrue();
    assertThat(SelectionSpec.parseCriteria("fqn:staging.*").value()).isEqualTo("staging.*");
  }

  @Test void spacesAreUnionsCommasIntersections() {
    SelectionSpec s = SelectionSpec.parse("  a,tag:x   +b ");
    assertThat(s).isInstanceOf(Union.class);
    List<SelectionSpec> parts = ((Union) s).parts();
    assertThat(parts).hasSize(2);
    assertThat(((Intersection) parts.get(0)).parts()).extracting(p -> ((Criteria) p).value()).containsExactly("a", "x");
    assertThat(((Intersection) parts.get(0)).raw()).isEqualTo("a,tag:x");
    assertThat(((Criteria) ((Intersection) parts.get(1)).parts().get(0)).parents()).isTrue();
    // a list of arguments is one union
    Union all = (Union) SelectionSpec.parseArgs(List.of("a b", "c"));
    assertThat(all.parts()).hasSize(3);
    assertThat(SelectionSpec.parseArgs(List.of())).isNull();
  }

  @Test void badSyntax() {
    assertThatThrownBy(() -> SelectionSpec.parse("a,,b"))
        .isInstanceOf(WeirException.class).hasMessageContaining("empty element");
    assertThatThrownBy(() -> SelectionSpec.parseCriteria("@+a"))
        .isInstanceOf(WeirException.class).hasMessageContaining("'@' and '+'");
    assertThatThrownBy(() -> SelectionSpec.parseCriteria("+"))
        .isInstanceOf(WeirException.class).hasMessageContaining("empty value");
    assertThatThrownBy(() -> SelectionSpec.parseCriteria("tag:"))
        .isInstanceOf(WeirException.class).hasMessageContaining("empty value");
    assertThat(((WeirException) org.assertj.core.api.Assertions.catchThrowable(() -> SelectionSpec.parseCriteria("tag:"))).kind())
        .isEqualTo(WeirException.Kind.USAGE);
  }
}
