-- CreateTable
CREATE TABLE "Town" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" DOUBLE PRECISION NOT NULL,
    "settings" TEXT NOT NULL,

    CONSTRAINT "Town_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Rig" (
    "name" TEXT NOT NULL,
    "repoPath" TEXT NOT NULL,
    "targetBranch" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "settings" TEXT NOT NULL,
    "counters" TEXT NOT NULL,
    "createdAt" DOUBLE PRECISION NOT NULL,
    "lineage" TEXT,

    CONSTRAINT "Rig_pkey" PRIMARY KEY ("name")
);

-- CreateTable
CREATE TABLE "Polecat" (
    "id" TEXT NOT NULL,
    "rig" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "beadId" TEXT,
    "branch" TEXT NOT NULL,
    "worktreePath" TEXT NOT NULL,
    "lastHeartbeatAt" DOUBLE PRECISION,
    "lastProgressAt" DOUBLE PRECISION,
    "stateSince" DOUBLE PRECISION NOT NULL,
    "tokensUsed" DOUBLE PRECISION NOT NULL,
    "health" TEXT NOT NULL DEFAULT 'ok',
    "strikes" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "Polecat_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Bead" (
    "id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "priority" INTEGER NOT NULL,
    "labels" TEXT NOT NULL,
    "dependsOn" TEXT NOT NULL,
    "paths" TEXT NOT NULL,
    "rig" TEXT NOT NULL,
    "assignee" TEXT,
    "convoyId" TEXT,
    "createdAt" DOUBLE PRECISION NOT NULL,
    "updatedAt" DOUBLE PRECISION NOT NULL,
    "closedAt" DOUBLE PRECISION,

    CONSTRAINT "Bead_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Convoy" (
    "id" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "beadIds" TEXT NOT NULL,
    "createdAt" DOUBLE PRECISION NOT NULL,
    "closedAt" DOUBLE PRECISION,
    "dispatchedAt" DOUBLE PRECISION,
    "waveSize" INTEGER,
    "waves" TEXT NOT NULL DEFAULT '[]',

    CONSTRAINT "Convoy_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Usage" (
    "id" SERIAL NOT NULL,
    "day" TEXT NOT NULL,
    "rig" TEXT NOT NULL,
    "polecatId" TEXT NOT NULL,
    "convoyId" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "inputTokens" DOUBLE PRECISION NOT NULL,
    "outputTokens" DOUBLE PRECISION NOT NULL,
    "costUsd" DOUBLE PRECISION,

    CONSTRAINT "Usage_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MergeRequest" (
    "id" TEXT NOT NULL,
    "rig" TEXT NOT NULL,
    "polecatId" TEXT NOT NULL,
    "beadId" TEXT NOT NULL,
    "branch" TEXT NOT NULL,
    "headSha" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "priority" INTEGER NOT NULL,
    "attempts" INTEGER NOT NULL,
    "mergeCommit" TEXT,
    "conflictFiles" TEXT NOT NULL,
    "failedGate" TEXT,
    "gateOutput" TEXT,
    "enqueuedAt" DOUBLE PRECISION NOT NULL,
    "updatedAt" DOUBLE PRECISION NOT NULL,
    "landedAt" DOUBLE PRECISION,

    CONSTRAINT "MergeRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Escalation" (
    "id" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "rig" TEXT,
    "beadId" TEXT,
    "polecatId" TEXT,
    "mergeRequestId" TEXT,
    "status" TEXT NOT NULL,
    "createdAt" DOUBLE PRECISION NOT NULL,
    "escalatedAt" DOUBLE PRECISION NOT NULL,
    "acknowledgedBy" TEXT,
    "acknowledgedAt" DOUBLE PRECISION,
    "resolvedBy" TEXT,
    "resolvedAt" DOUBLE PRECISION,

    CONSTRAINT "Escalation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Gate" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "holds" TEXT NOT NULL,
    "until" DOUBLE PRECISION,
    "beads" TEXT NOT NULL,
    "rig" TEXT,
    "convoyId" TEXT,
    "createdAt" DOUBLE PRECISION NOT NULL,
    "readyAt" DOUBLE PRECISION,
    "openedAt" DOUBLE PRECISION,
    "openedBy" TEXT,

    CONSTRAINT "Gate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Event" (
    "id" SERIAL NOT NULL,
    "at" DOUBLE PRECISION NOT NULL,
    "type" TEXT NOT NULL,
    "rig" TEXT,
    "data" TEXT NOT NULL,

    CONSTRAINT "Event_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Audit" (
    "id" SERIAL NOT NULL,
    "at" DOUBLE PRECISION NOT NULL,
    "actor" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "input" TEXT NOT NULL,
    "ok" BOOLEAN NOT NULL,
    "error" TEXT,

    CONSTRAINT "Audit_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "MetricPoint" (
    "id" SERIAL NOT NULL,
    "resolutionMs" INTEGER NOT NULL,
    "at" DOUBLE PRECISION NOT NULL,
    "series" TEXT NOT NULL,
    "values" TEXT NOT NULL,
    "max" TEXT,

    CONSTRAINT "MetricPoint_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AlertRule" (
    "id" TEXT NOT NULL,
    "definition" TEXT NOT NULL,
    "builtin" BOOLEAN NOT NULL,
    "updatedAt" DOUBLE PRECISION NOT NULL,
    "updatedBy" TEXT NOT NULL,

    CONSTRAINT "AlertRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Alert" (
    "id" TEXT NOT NULL,
    "ruleId" TEXT NOT NULL,
    "ruleName" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "labels" TEXT NOT NULL,
    "rig" TEXT,
    "state" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "value" DOUBLE PRECISION,
    "activeAt" DOUBLE PRECISION NOT NULL,
    "firedAt" DOUBLE PRECISION,
    "resolvedAt" DOUBLE PRECISION,
    "keepFiringSince" DOUBLE PRECISION,
    "lastEvaluatedAt" DOUBLE PRECISION NOT NULL,
    "acknowledgedBy" TEXT,
    "acknowledgedAt" DOUBLE PRECISION,
    "notified" BOOLEAN NOT NULL DEFAULT false,
    "recommendations" TEXT NOT NULL DEFAULT '[]',

    CONSTRAINT "Alert_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Silence" (
    "id" TEXT NOT NULL,
    "matchers" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" DOUBLE PRECISION NOT NULL,
    "startsAt" DOUBLE PRECISION NOT NULL,
    "endsAt" DOUBLE PRECISION NOT NULL,
    "expiredBy" TEXT,

    CONSTRAINT "Silence_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Polecat_rig_idx" ON "Polecat"("rig");

-- CreateIndex
CREATE INDEX "Bead_status_idx" ON "Bead"("status");

-- CreateIndex
CREATE INDEX "Bead_rig_idx" ON "Bead"("rig");

-- CreateIndex
CREATE INDEX "Bead_updatedAt_idx" ON "Bead"("updatedAt");

-- CreateIndex
CREATE INDEX "Convoy_status_idx" ON "Convoy"("status");

-- CreateIndex
CREATE INDEX "Usage_day_idx" ON "Usage"("day");

-- CreateIndex
CREATE UNIQUE INDEX "Usage_day_rig_polecatId_convoyId_model_key" ON "Usage"("day", "rig", "polecatId", "convoyId", "model");

-- CreateIndex
CREATE INDEX "MergeRequest_rig_status_idx" ON "MergeRequest"("rig", "status");

-- CreateIndex
CREATE INDEX "MergeRequest_status_idx" ON "MergeRequest"("status");

-- CreateIndex
CREATE INDEX "MergeRequest_updatedAt_idx" ON "MergeRequest"("updatedAt");

-- CreateIndex
CREATE INDEX "Escalation_status_idx" ON "Escalation"("status");

-- CreateIndex
CREATE INDEX "Escalation_createdAt_idx" ON "Escalation"("createdAt");

-- CreateIndex
CREATE INDEX "Gate_status_idx" ON "Gate"("status");

-- CreateIndex
CREATE INDEX "Gate_createdAt_idx" ON "Gate"("createdAt");

-- CreateIndex
CREATE INDEX "Event_at_idx" ON "Event"("at");

-- CreateIndex
CREATE INDEX "Event_type_idx" ON "Event"("type");

-- CreateIndex
CREATE INDEX "Event_rig_at_idx" ON "Event"("rig", "at");

-- CreateIndex
CREATE INDEX "Audit_at_idx" ON "Audit"("at");

-- CreateIndex
CREATE INDEX "MetricPoint_resolutionMs_series_at_idx" ON "MetricPoint"("resolutionMs", "series", "at");

-- CreateIndex
CREATE INDEX "MetricPoint_resolutionMs_at_idx" ON "MetricPoint"("resolutionMs", "at");

-- CreateIndex
CREATE INDEX "Alert_state_idx" ON "Alert"("state");

-- CreateIndex
CREATE INDEX "Alert_activeAt_idx" ON "Alert"("activeAt");

-- CreateIndex
CREATE INDEX "Alert_ruleId_activeAt_idx" ON "Alert"("ruleId", "activeAt");

-- CreateIndex
CREATE INDEX "Silence_endsAt_idx" ON "Silence"("endsAt");

