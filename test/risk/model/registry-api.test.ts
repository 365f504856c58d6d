// Proves the model registry over HTTP on every database: a trained model file registers as a candidate (a bad one is refused naming the field), scores in shadow as a challenger without acting, becomes champion only through maker-checker, then scores every money movement with its explanation in the decision, and a rollback promotes the retired version again.
import { describe, expect, it } from 'vitest';
import { Api, arr, at, expectProblem, str } from '../../api/client.ts';
import { DATABASES, staffSession, useBulwark } from '../../helpers.ts';
import { modelFile } from './support.ts';

for (const target of DATABASES) {
  describe(`model registry over HTTP on ${target.name}`, () => {
    const bw = useBulwark(target);
    const api = new Api(bw);

    it('registers, shadows, promotes through maker-checker, explains, and rolls back', async () => {
      const analyst = api.asStaff('analyst');
      const compliance = api.asStaff('compliance');
      const payer = await api.fundedCustomer('Model Payer', '5000000');
      const payee = await api.customer('Model Payee');
      const decisionOf = async (amount: string) => {
        const t = await api.transfer(payer.walletId, payee.walletId, amount);
        expect([201, 202], t.text).toContain(t.status);
        const d = await analyst.get(`/v1/decisions/${str(t.body, 'decision', 'id')}`);
        expect(d.status, d.text).toBe(200);
        return d.body;
      };

      // No model yet: decisions carry none.
      expect(at(await decisionOf('1000'), 'detail', 'model')).toBeNull();

      const first = await analyst.post('/v1/risk/models', {
        model: modelFile('fraud-test', 1),
        scope: 'all',
      });
      expect(first.status, first.text).toBe(201);
      expect(first.body).toMatchObject({ name: 'fraud-test', version: 1, status: 'candidate', trees: 20 });
      const id1 = str(first.body, 'id');
      const second = await analyst.post('/v1/risk/models', { model: modelFile('fraud-test', 2) });
      expect(at(second.body, 'version')).toBe(2);
      const id2 = str(second.body, 'id');

      // A challenger scores in shadow and changes nothing.
      const shadowed = await analyst.post(`/v1/risk/models/${id2}/shadow`, {
        reason: 'compare on live traffic',
      });
      expect(shadowed.status, shadowed.text).toBe(200);
      expect(at(shadowed.body, 'status')).toBe('challenger');
      const shadowDecision = await decisionOf('1200');
      expect(at(shadowDecision, 'detail', 'model')).toBeNull();
      expect(at(shadowDecision, 'detail', 'modelShadow')).toEqual([
        { name: 'fraud-test@2', score: expect.any(Number), level: expect.any(String) },
      ]);
      expect(at(shadowDecision, 'detail', 'features', 'model.score')).toBe(0);

      // Promotion is maker-checker: the registrant cannot approve it.
      const asked = await analyst.post(`/v1/risk/models/${id1}/promote`, {
        reason: 'better precision at 100',
      });
      expect(asked.status, asked.text).toBe(202);
      expect(asked.body).toMatchObject({ action: 'risk.model.change', status: 'pending' });
      const approvalId = str(asked.body, 'id');
      expectProblem(await analyst.post(`/v1/approvals/${approvalId}/approve`, {}), 403, 'APPROVAL_SELF');
      const approved = await compliance.post(`/v1/approvals/${approvalId}/approve`, {
        reason: 'read the report',
      });
      expect(approved.status, approved.text).toBe(200);
      expect(at(approved.body, 'approval', 'result')).toMatchObject({
        modelId: id1,
        status: 'champion',
        replaced: null,
      });

      // The champion scores every money movement at once; a high score explains itself.
      const scored = await decisionOf('1900000');
      expect(at(scored, 'detail', 'model', 'name')).toBe('fraud-test@1');
      expect(at(scored, 'detail', 'model', 'score')).toBeGreaterThan(0.3);
      expect(arr(scored, 'detail', 'model', 'contributions').length).toBeGreaterThan(0);
      expect(at(scored, 'detail', 'modelShadow')).toEqual([
        expect.objectContaining({ name: 'fraud-test@2' }),
      ]);
      expect(arr(scored, 'detail', 'explanation').join('\n')).toMatch(
        /model fraud-test@1: score .* because event\.amount=/,
      );
      expect(at(scored, 'detail', 'features', 'model.score')).toBe(at(scored, 'detail', 'model', 'score'));
      const low = await decisionOf('1000');
      expect(at(low, 'detail', 'model', 'level')).toBe('low');

      // The challenger against the champion on those two decisions, once their outcomes are known.
      const labelled = await api.post('/v1/risk/labels', {
        labels: [
          { decisionId: at(scored, 'id'), label: 'fraud' },
          { decisionId: at(low, 'id'), label: 'legit' },
        ],
      });
      expect(labelled.status, labelled.text).toBe(200);
      const compared = await analyst.get(`/v1/risk/models/${id2}/comparison`);
      expect(compared.status, compared.text).toBe(200);
      expect(compared.body).toMatchObject({
        challenger: 'fraud-test@2',
        champion: 'fraud-test@1',
        decisions: 2,
        settled: 2,
        frauds: 1,
        championFigures: { rocAuc: 1, averagePrecision: 1 },
      });
      expect(at(compared.body, 'levelAgreement')).toBeGreaterThanOrEqual(0);

      // The second version replaces the first; the first is retired and can come back (rollback).
      // Asked by compliance; the analyst registered it, so a third staff user approves.
      const asked2 = await compliance.post(`/v1/risk/models/${id2}/promote`, {
        reason: 'challenger did better',
      });
      expectProblem(
        await analyst.post(`/v1/approvals/${str(asked2.body, 'id')}/approve`, {}),
        403,
        'APPROVAL_SELF',
      );
      const other = api.as((await staffSession(bw(), 'analyst')).auth);
      const ok2 = await other.post(`/v1/approvals/${str(asked2.body, 'id')}/approve`, { reason: 'agreed' });
      expect(ok2.status, ok2.text).toBe(200);
      expect(at(ok2.body, 'approval', 'result')).toMatchObject({ modelId: id2, replaced: id1 });
      expect(at((await analyst.get(`/v1/risk/models/${id1}`)).body, 'status')).toBe('retired');
      expect(at(await decisionOf('1500'), 'detail', 'model', 'name')).toBe('fraud-test@2');
      const back = await compliance.post(`/v1/risk/models/${id1}/promote`, {
        reason: 'rollback: v2 misjudges',
      });
      const okBack = await other.post(`/v1/approvals/${str(back.body, 'id')}/approve`, {
        reason: 'rollback',
      });
      expect(okBack.status, okBack.text).toBe(200);
      expect(at(await decisionOf('1500'), 'detail', 'model', 'name')).toBe('fraud-test@1');

      // The history of a version, and the listing.
      const history = await analyst.get(`/v1/risk/models/${id1}`);
      expect(arr(history.body, 'events').map((e) => (e as { toStatus: string }).toStatus)).toEqual([
        'candidate',
        'champion',
        'retired',
        'champion',
      ]);
      const champions = await api.asStaff('auditor').get('/v1/risk/models?status=champion');
      expect(arr(champions.body, 'models')).toHaveLength(1);

      // A champion is retired only through maker-checker; a challenger directly.
      const retire = await analyst.post(`/v1/risk/models/${id1}/retire`, { reason: 'switch the model off' });
      expect(retire.status, retire.text).toBe(202);
    });

    it('refuses bad model files and bad transitions with clear codes', async () => {
      const analyst = api.asStaff('analyst');
      const good = modelFile('fraud-bad', 3);
      const truncated = { ...good, forest: { ...(good.forest as Record<string, unknown>), left: [1] } };
      const r1 = await analyst.post('/v1/risk/models', { model: truncated });
      expectProblem(r1, 422, 'MODEL_INVALID');
      expect(at(r1.body, 'field')).toMatch(/^forest\./);
      const alien = modelFile('fraud-bad', 3);
      alien.features = ['no.such.feature', 'customer.out.count_24h'];
      (alien.forest as { features: string[] }).features = alien.features;
      const r2 = await analyst.post('/v1/risk/models', { model: alien });
      expectProblem(r2, 422, 'MODEL_INVALID');
      expect(r2.text).toMatch(/no\.such\.feature/);
      const r3 = await analyst.post('/v1/risk/models', { model: { ...good, format: 'other/1' } });
      expectProblem(r3, 422, 'MODEL_INVALID');
      const r4 = await analyst.post('/v1/risk/models', { model: good, scope: 'lottery' });
      expectProblem(r4, 422, 'MODEL_INVALID');
      expectProblem(await api.asStaff('support').get('/v1/risk/models'), 403, 'AUTH_FORBIDDEN');
      expectProblem(
        await analyst.get('/v1/risk/models/mdl_00000000000000000000000000'),
        404,
        'MODEL_NOT_FOUND',
      );
      const ok = await analyst.post('/v1/risk/models', { model: good });
      const id = str(ok.body, 'id');
      await analyst.post(`/v1/risk/models/${id}/retire`, { reason: 'not needed' });
      expectProblem(
        await analyst.post(`/v1/risk/models/${id}/shadow`, { reason: 'again' }),
        409,
        'MODEL_STATE_CONFLICT',
      );
    });
  });
}
