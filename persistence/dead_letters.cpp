#include "persistence/dead_letters.hpp"

#include <pqxx/pqxx>

#include "persistence/copy_text.hpp"

namespace troupe::persistence::dead_letters {

void add(pqxx::connection_base& c, const letter& l) {
  using copy_text::valid_utf8;
  pqxx::work tx(c);
  tx.exec_params("INSERT INTO dead_letters (origin, topic, \"partition\", \"offset\", key, payload, error)"
                 " VALUES ('consumer', $1, $2, $3, $4, $5, $6)",
                 l.topic, l.partition, l.offset, valid_utf8(l.key), valid_utf8(l.payload), valid_utf8(l.error));
  tx.commit();
}

} // namespace troupe::persistence::dead_letters
