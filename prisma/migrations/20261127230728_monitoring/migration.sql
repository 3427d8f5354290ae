-- CreateTable
CREATE TABLE "MetricPoint" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "resolutionMs" INTEGER NOT NULL,
    "at" REAL NOT NULL,
    "series" TEXT NOT NULL,
    "values" TEXT NOT NULL,
    "max" TEXT
);

-- CreateTable
CREATE TABLE "AlertRule" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "definition" TEXT NOT NULL,
    "builtin" BOOLEAN NOT NULL,
    "updatedAt" REAL NOT NULL,
    "updatedBy" TEXT NOT NULL
);

-- CreateTable
CREATE TABLE "Alert" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "ruleId" TEXT NOT NULL,
    "ruleName" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "labels" TEXT NOT NULL,
    "rig" TEXT,
    "state" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "value" REAL,
    "activeAt" REAL NOT NULL,
    "firedAt" REAL,
    "resolvedAt" REAL,
    "keepFiringSince" REAL,
    "lastEvaluatedAt" REAL NOT NULL,
    "acknowledgedBy" TEXT,
    "acknowledgedAt" REAL,
    "notified" BOOLEAN NOT NULL DEFAULT false,
    "recommendations" TEXT NOT NULL DEFAULT '[]'
);

-- CreateTable
CREATE TABLE "Silence" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "matchers" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "createdBy" TEXT NOT NULL,
    "createdAt" REAL NOT NULL,
    "startsAt" REAL NOT NULL,
    "endsAt" REAL NOT NULL,
    "expiredBy" TEXT
);

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

