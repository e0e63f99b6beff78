-- writ_in_polygon, exact. PostgreSQL's polygon @> point compares with a
-- tolerance (EPSILON 1e-6 in its geometric comparisons), so it took in
-- points up to about 1.5 m outside an area (1.3e-5 degrees, measured), and
-- PostgreSQL and SQLite answered differently near edges. This is
-- the even-odd ray cast of writ.Polygon.Contains (which SQLite calls), with
-- the same floating-point operations in the same order, so every store
-- returns the same rows and the area test means what the grant says.
CREATE OR REPLACE FUNCTION writ_in_polygon(lat double precision, lon double precision, ring text)
RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
	-- ring is "((lon,lat),(lon,lat),...)": c holds lon1, lat1, lon2, lat2, ...
	c double precision[] := string_to_array(translate(ring, '() ', ''), ',')::double precision[];
	n int := coalesce(array_length(c, 1), 0) / 2;
	inside boolean := false;
	j int := n;
	xi double precision; yi double precision; -- point i: lon, lat
	xj double precision; yj double precision; -- point j, the one before i
BEGIN
	FOR i IN 1..n LOOP
		xi := c[2*i-1]; yi := c[2*i];
		xj := c[2*j-1]; yj := c[2*j];
		-- nested so the division runs only when yi <> yj
		IF (yi > lat) <> (yj > lat) THEN
			IF lon < (xj - xi) * (lat - yi) / (yj - yi) + xi THEN
				inside := NOT inside;
			END IF;
		END IF;
		j := i;
	END LOOP;
	RETURN inside;
END
$$;
