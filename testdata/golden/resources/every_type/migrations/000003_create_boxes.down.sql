DROP TABLE boxes;
