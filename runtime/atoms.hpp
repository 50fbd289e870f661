#pragma once

#include <caf/atom.hpp>

// Atoms shared across folders; the predefined ones (caf::get_atom,
// caf::put_atom, caf::delete_atom, caf::flush_atom, caf::tick_atom...) are
// used as they are.
namespace troupe {

using start_atom = caf::atom_constant<caf::atom("start")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using pause_atom = caf::atom_constant<caf::atom("pause")>;
using resume_atom = caf::atom_constant<caf::atom("resume")>;
using done_atom = caf::atom_constant<caf::atom("done")>;

} // namespace troupe
