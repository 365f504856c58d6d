import { type ComponentType, lazy, type ReactNode, Suspense } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import type { Permission } from '../../../src/access/permissions.ts';
import { useAuth } from '../auth/session.tsx';
import { Layout } from '../components/Layout.tsx';
import { Loading } from '../components/States.tsx';
import { Forbidden, NotFound } from '../pages/Misc.tsx';
import { SignIn } from '../pages/SignIn.tsx';

/** Pages load on first visit, so the sign-in page stays small. */
function page<K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) {
  return lazy(async () => {
    const m = await load();
    return { default: m[name] };
  });
}

const Overview = page(() => import('../pages/Overview.tsx'), 'Overview');
const Customers = page(() => import('../pages/Customers.tsx'), 'Customers');
const CustomerDetail = page(() => import('../pages/CustomerDetail.tsx'), 'CustomerDetail');
const Holds = page(() => import('../pages/Holds.tsx'), 'Holds');
const HoldDetail = page(() => import('../pages/HoldDetail.tsx'), 'HoldDetail');
const Alerts = page(() => import('../pages/Alerts.tsx'), 'Alerts');
const Cases = page(() => import('../pages/Cases.tsx'), 'Cases');
const CaseDetail = page(() => import('../pages/CaseDetail.tsx'), 'CaseDetail');
const Reserve = page(() => import('../pages/Reserve.tsx'), 'Reserve');
// support console
const Disputes = page(() => import('../pages/Disputes.tsx'), 'Disputes');
const DisputeDetail = page(() => import('../pages/DisputeDetail.tsx'), 'DisputeDetail');
const Feedback = page(() => import('../pages/Feedback.tsx'), 'Feedback');
const FeedbackDetail = page(() => import('../pages/FeedbackDetail.tsx'), 'FeedbackDetail');
// notify console
const Notifications = page(() => import('../pages/Notifications.tsx'), 'Notifications');
const Ledger = page(() => import('../pages/Ledger.tsx'), 'Ledger');
const EntryStory = page(() => import('../pages/EntryStory.tsx'), 'EntryStory');
const Decisions = page(() => import('../pages/Decisions.tsx'), 'Decisions');
const DecisionDetail = page(() => import('../pages/DecisionDetail.tsx'), 'DecisionDetail');
const Backtests = page(() => import('../pages/Backtests.tsx'), 'Backtests');
const BacktestDetail = page(() => import('../pages/BacktestDetail.tsx'), 'BacktestDetail');
const Models = page(() => import('../pages/Models.tsx'), 'Models');
const ModelDetail = page(() => import('../pages/ModelDetail.tsx'), 'ModelDetail');
const Rules = page(() => import('../pages/Rules.tsx'), 'Rules');
const RuleNew = page(() => import('../pages/RulesNew.tsx'), 'RuleNew');
const RuleDetail = page(() => import('../pages/RulesDetail.tsx'), 'RuleDetail');
const Approvals = page(() => import('../pages/Approvals.tsx'), 'Approvals');
const Audit = page(() => import('../pages/Audit.tsx'), 'Audit');

function RequireSignIn({ children }: { children: ReactNode }) {
  const auth = useAuth();
  const location = useLocation();
  if (auth.state.status === 'restoring') return <Loading />;
  if (auth.state.status === 'signedOut') {
    return <Navigate to="/sign-in" replace state={{ from: `${location.pathname}${location.search}` }} />;
  }
  return <>{children}</>;
}

function Allowed({ permission, children }: { permission: Permission | null; children: ReactNode }) {
  const auth = useAuth();
  if (permission !== null && !auth.can(permission)) return <Forbidden />;
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

export function App() {
  return (
    <BrowserRouter>
      <Routes>
        <Route path="/sign-in" element={<SignIn />} />
        <Route
          element={
            <RequireSignIn>
              <Layout />
            </RequireSignIn>
          }
        >
          <Route index element={<Navigate to="/overview" replace />} />
          <Route
            path="overview"
            element={
              <Allowed permission="dashboard.read">
                <Overview />
              </Allowed>
            }
          />
          <Route
            path="customers"
            element={
              <Allowed permission="customer.read">
                <Customers />
              </Allowed>
            }
          />
          <Route
            path="customers/:id"
            element={
              <Allowed permission="customer.read">
                <CustomerDetail />
              </Allowed>
            }
          />
          <Route
            path="holds"
            element={
              <Allowed permission="account.read">
                <Holds />
              </Allowed>
            }
          />
          <Route
            path="holds/:id"
            element={
              <Allowed permission="account.read">
                <HoldDetail />
              </Allowed>
            }
          />
          <Route
            path="alerts"
            element={
              <Allowed permission="case.read">
                <Alerts />
              </Allowed>
            }
          />
          <Route
            path="cases"
            element={
              <Allowed permission="case.read">
                <Cases />
              </Allowed>
            }
          />
          <Route
            path="cases/:id"
            element={
              <Allowed permission="case.read">
                <CaseDetail />
              </Allowed>
            }
          />
          {/* support console */}
          <Route
            path="disputes"
            element={
              <Allowed permission="case.read">
                <Disputes />
              </Allowed>
            }
          />
          <Route
            path="disputes/:id"
            element={
              <Allowed permission="case.read">
                <DisputeDetail />
              </Allowed>
            }
          />
          <Route
            path="feedback"
            element={
              <Allowed permission="case.read">
                <Feedback />
              </Allowed>
            }
          />
          <Route
            path="feedback/:id"
            element={
              <Allowed permission="case.read">
                <FeedbackDetail />
              </Allowed>
            }
          />
          {/* notify console */}
          <Route
            path="notifications"
            element={
              <Allowed permission="notify.read">
                <Notifications />
              </Allowed>
            }
          />
          <Route
            path="reserve"
            element={
              <Allowed permission="reserve.read">
                <Reserve />
              </Allowed>
            }
          />
          <Route
            path="ledger"
            element={
              <Allowed permission="ledger.read">
                <Ledger />
              </Allowed>
            }
          />
          <Route
            path="ledger/entries/:id"
            element={
              <Allowed permission="ledger.read">
                <EntryStory />
              </Allowed>
            }
          />
          <Route
            path="decisions"
            element={
              <Allowed permission="ledger.read">
                <Decisions />
              </Allowed>
            }
          />
          <Route
            path="decisions/:id"
            element={
              <Allowed permission="ledger.read">
                <DecisionDetail />
              </Allowed>
            }
          />
          <Route
            path="rules"
            element={
              <Allowed permission="rule.read">
                <Rules />
              </Allowed>
            }
          />
          <Route
            path="rules/new"
            element={
              <Allowed permission="rule.write">
                <RuleNew />
              </Allowed>
            }
          />
          <Route
            path="rules/:id"
            element={
              <Allowed permission="rule.read">
                <RuleDetail />
              </Allowed>
            }
          />
          <Route
            path="backtests"
            element={
              <Allowed permission="rule.read">
                <Backtests />
              </Allowed>
            }
          />
          <Route
            path="backtests/:id"
            element={
              <Allowed permission="rule.read">
                <BacktestDetail />
              </Allowed>
            }
          />
          <Route
            path="models"
            element={
              <Allowed permission="model.read">
                <Models />
              </Allowed>
            }
          />
          <Route
            path="models/:id"
            element={
              <Allowed permission="model.read">
                <ModelDetail />
              </Allowed>
            }
          />
          <Route
            path="approvals"
            element={
              <Allowed permission="approval.read">
                <Approvals />
              </Allowed>
            }
          />
          <Route
            path="audit"
            element={
              <Allowed permission="audit.read">
                <Audit />
              </Allowed>
            }
          />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </BrowserRouter>
  );
}
