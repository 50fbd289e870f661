-- A saga's row is updated once per step and each step's row twice: room
-- left on their pages lets those updates stay on the page (HOT: no new
-- index entries, old versions pruned in place).
ALTER TABLE sagas SET (fillfactor = 50);
ALTER TABLE saga_steps SET (fillfactor = 50);
