-- Nodes keep the live sessions they have read (identity_actor.cpp): a
-- revoked session, or a user whose client id or role changed, tells every
-- node to forget them, whoever made the change.
CREATE FUNCTION notify_session_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('troupe_sessions', '');
  RETURN NULL;
END $$;

CREATE TRIGGER session_revoked AFTER UPDATE OF revoked_at ON sessions FOR EACH ROW
  WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at) EXECUTE FUNCTION notify_session_change();
CREATE TRIGGER session_deleted AFTER DELETE ON sessions FOR EACH ROW
  WHEN (OLD.revoked_at IS NULL) EXECUTE FUNCTION notify_session_change();
CREATE TRIGGER caller_changed AFTER UPDATE OF client_id, role ON users FOR EACH ROW
  WHEN (OLD.client_id IS DISTINCT FROM NEW.client_id OR OLD.role IS DISTINCT FROM NEW.role)
  EXECUTE FUNCTION notify_session_change();
CREATE TRIGGER caller_deleted AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION notify_session_change();
