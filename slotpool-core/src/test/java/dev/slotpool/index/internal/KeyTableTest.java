package dev.slotpool.index.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class KeyTableTest {

  /** Few distinct hash codes, so that probe runs are long and wrap around the table's end. */
  record Colliding(int id) {
    @Override
    public int hashCode() {
      return id % 3;
    }
  }

  @Test
  void randomInsertsAndRemoves_matchHashMap() {
    for (long seed = 0; seed < 200; seed++) {
      SplittableRandom rnd = new SplittableRandom(seed);
      int maxKeys = 1 + rnd.nextInt(20);
      KeyTable table = new KeyTable(maxKeys);
      Map<Colliding, Integer> model = new HashMap<>();
      for (int step = 0; step < 300; step++) {
        Colliding key = new Colliding(rnd.nextInt(2 * maxKeys));
        int entry = table.find(key, KeyTable.hash(key));
        assertThat(entry != KeyTable.NIL)
            .as("seed %d step %d: %s present", seed, step, key)
            .isEqualTo(model.containsKey(key));
        if (entry != KeyTable.NIL) {
          assertThat(table.head(entry)).isEqualTo(model.get(key));
          table.remove(entry);
          model.remove(key);
        } else if (model.size() < maxKeys) {
          table.insert(key, KeyTable.hash(key), step);
          model.put(key, step);
        }
        assertThat(table.size()).isEqualTo(model.size());
        for (Map.Entry<Colliding, Integer> e : model.entrySet()) {
          int at = table.find(e.getKey(), KeyTable.hash(e.getKey()));
          assertThat(at).as("seed %d step %d: find %s", seed, step, e.getKey()).isNotNegative();
          assertThat(table.tail(at)).isEqualTo(e.getValue());
        }
      }
    }
  }

  @Test
  void insert_beyondMaxKeys_throwsInsteadOfLooping() {
    KeyTable table = new KeyTable(1);
    for (int i = 0; i < 2; i++) {
      table.insert(i, KeyTable.hash(i), i);
    }
    assertThatThrownBy(() -> table.insert(2, KeyTable.hash(2), 2))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void removeWatched_reportsWhereTheWatchedEntryMoved() {
    for (long seed = 0; seed < 200; seed++) {
      SplittableRandom rnd = new SplittableRandom(seed);
      int maxKeys = 2 + rnd.nextInt(10);
      KeyTable table = new KeyTable(maxKeys);
      for (int k = 0; k < maxKeys; k++) {
        Colliding key = new Colliding(k);
        table.insert(key, KeyTable.hash(key), k);
      }
      Colliding removed = new Colliding(rnd.nextInt(maxKeys));
      Colliding watched = new Colliding((removed.id() + 1 + rnd.nextInt(maxKeys - 1)) % maxKeys);
      int at =
          table.remove(
              table.find(removed, KeyTable.hash(removed)),
              table.find(watched, KeyTable.hash(watched)));
      assertThat(at).as("seed %d", seed).isEqualTo(table.find(watched, KeyTable.hash(watched)));
      assertThat(table.head(at)).isEqualTo(watched.id());
      assertThat(table.find(removed, KeyTable.hash(removed))).isEqualTo(KeyTable.NIL);
    }
  }
}
