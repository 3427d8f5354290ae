-- CreateTable
CREATE TABLE "Node" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "url" TEXT,
    "startedAt" REAL NOT NULL,
    "heartbeatAt" REAL NOT NULL,
    "ttlMs" REAL NOT NULL
);

-- CreateTable
CREATE TABLE "RigLease" (
    "rig" TEXT NOT NULL PRIMARY KEY,
    "owner" TEXT,
    "epoch" INTEGER NOT NULL,
    "expiresAt" REAL NOT NULL
);

