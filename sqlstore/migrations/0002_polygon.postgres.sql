-- writ_in_polygon(lat, lon, ring) is the exact area test used to clip reads to
-- a grant's area. ring is "((lon,lat),(lon,lat),...)", PostgreSQL's polygon
-- literal. SQLite registers the same function in Go (package sqlite).
CREATE FUNCTION writ_in_polygon(lat double precision, lon double precision, ring text)
RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT polygon(ring) @> point(lon, lat) $$;
