-- CreateTable
CREATE TABLE "Node" (
    "name" TEXT NOT NULL,
    "url" TEXT,
    "startedAt" DOUBLE PRECISION NOT NULL,
    "heartbeatAt" DOUBLE PRECISION NOT NULL,
    "ttlMs" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "Node_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "RigLease" (
    "rig" TEXT NOT NULL,
    "owner" TEXT,
    "epoch" INTEGER NOT NULL,
    "expiresAt" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "RigLease_pkey" PRIMARY KEY ("rig")
);

